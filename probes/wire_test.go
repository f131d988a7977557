package probes

import (
	"errors"
	"io"
	"strings"
	"testing"
)

func TestDatagramNonce(t *testing.T) {
	tests := []struct {
		name      string
		datagram  string
		wantNonce string
		wantOK    bool
	}{
		{"request", "netpolcheck x/a 0123abcd", "0123abcd", true},
		{"empty source", "netpolcheck  beef", "beef", true},
		{"request round trip", string(datagramRequest("x/b", "00ff")), "00ff", true},
		{"no prefix", "hello x/a 0123", "", false},
		{"prefix glued", "netpolcheckx/a 0123", "", false},
		{"empty nonce", "netpolcheck x/a ", "", false},
		{"nonce with punctuation", "netpolcheck x/a ab;cd", "", false},
		{"nonce too long", "netpolcheck x/a " + strings.Repeat("a", 65), "", false},
		{"empty", "", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			nonce, ok := datagramNonce([]byte(tt.datagram))
			if nonce != tt.wantNonce || ok != tt.wantOK {
				t.Errorf("datagramNonce(%q) = %q, %v; want %q, %v", tt.datagram, nonce, ok, tt.wantNonce, tt.wantOK)
			}
		})
	}
}

func TestDatagramIdentity(t *testing.T) {
	tests := []struct {
		name         string
		reply        string
		nonce        string
		wantIdentity string
		wantOK       bool
	}{
		{"match", "x/a 1234", "1234", "x/a", true},
		{"round trip", string(datagramReply("y/b", "cafe")), "cafe", "y/b", true},
		{"other nonce", "x/a 9999", "1234", "", false},
		{"no nonce", "x/a", "1234", "", false},
		{"extra field", "x/a 1234 5", "1234", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			identity, ok := datagramIdentity([]byte(tt.reply), tt.nonce)
			if identity != tt.wantIdentity || ok != tt.wantOK {
				t.Errorf("datagramIdentity(%q, %q) = %q, %v; want %q, %v", tt.reply, tt.nonce, identity, ok, tt.wantIdentity, tt.wantOK)
			}
		})
	}
}

func TestNewNonce(t *testing.T) {
	a, b := newNonce(), newNonce()
	if len(a) != 16 || !validNonce(a) {
		t.Errorf("newNonce() = %q, want 16 hex digits", a)
	}
	if a == b {
		t.Errorf("two nonces are both %q", a)
	}
}

func TestValidateIdentity(t *testing.T) {
	tests := []struct {
		identity string
		wantErr  string
	}{
		{"x/a", ""},
		{"external-host", ""},
		{"", "identity is empty"},
		{"x/a b", `identity "x/a b" holds a space or control character`},
		{"x/a\n", `identity "x/a\n" holds a space or control character`},
		{"x/\x00", `identity "x/\x00" holds a space or control character`},
		{strings.Repeat("a", 257), "identity is longer than 256 bytes"},
	}
	for _, tt := range tests {
		err := validateIdentity(tt.identity)
		got := ""
		if err != nil {
			got = err.Error()
		}
		if got != tt.wantErr {
			t.Errorf("validateIdentity(%q) = %q, want %q", tt.identity, got, tt.wantErr)
		}
	}
}

func TestReadLine(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    string
		wantErr error
	}{
		{"newline", "x/a\nrest", "x/a", nil},
		{"crlf", "x/a\r\n", "x/a", nil},
		{"no newline before close", "x/a", "x/a", nil},
		{"nothing", "", "", io.EOF},
		{"too long", strings.Repeat("a", 600) + "\n", "", errLineTooLong},
		{"longest", strings.Repeat("a", 511) + "\n", strings.Repeat("a", 511), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := readLine(strings.NewReader(tt.in))
			if got != tt.want || !errors.Is(err, tt.wantErr) {
				t.Errorf("readLine(%q) = %q, %v; want %q, %v", tt.in, got, err, tt.want, tt.wantErr)
			}
		})
	}
}
