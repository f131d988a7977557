package bpf

//go:generate go tool bpf2go -tags linux -target bpfel -type drop_event Policy policy.c -- -O2 -Wall -Werror -I.
