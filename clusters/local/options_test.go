package local

import (
	"testing"
)

func TestOptionsWithDefaults(t *testing.T) {
	tests := []struct {
		name    string
		in      Options
		want    Options
		wantErr string
	}{
		{name: "zero", in: Options{}, want: Options{Concurrency: 512, PodCIDR: "192.168.0.0/16"}},
		{name: "kept", in: Options{Concurrency: 4, RunID: "run1", PodCIDR: "10.4.0.0/16"}, want: Options{Concurrency: 4, RunID: "run1", PodCIDR: "10.4.0.0/16"}},
		{name: "negative concurrency", in: Options{Concurrency: -1}, wantErr: "concurrency -1 is negative"},
		{name: "bad run ID", in: Options{RunID: "a-b"}, wantErr: `run ID "a-b" may hold only lower-case letters and digits`},
		{name: "long run ID", in: Options{RunID: "abcdefghijklm"}, wantErr: `run ID "abcdefghijklm" must have 1 to 12 characters`},
		{name: "upper case run ID", in: Options{RunID: "ABC"}, wantErr: `run ID "ABC" may hold only lower-case letters and digits`},
		{name: "default route CIDR", in: Options{PodCIDR: "0.0.0.0/0"}, wantErr: "pod CIDR 0.0.0.0/0 would be a default route"},
		{name: "IPv6 CIDR", in: Options{PodCIDR: "fd00::/64"}, wantErr: "pod CIDR fd00::/64 is not IPv4"},
		{name: "garbage CIDR", in: Options{PodCIDR: "nope"}, wantErr: "pod CIDR: invalid CIDR address: nope"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.in.withDefaults()
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Fatalf("error = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("error = %v", err)
			}
			if got.Concurrency != tt.want.Concurrency || got.RunID != tt.want.RunID || got.PodCIDR != tt.want.PodCIDR || got.Enforcer != nil {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}
