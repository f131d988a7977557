module github.com/netpolcheck/netpolcheck/hack/kind/modules/pause

go 1.24.0
