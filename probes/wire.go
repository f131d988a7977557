package probes

import (
	"bufio"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode"
)

// requestWord opens every request, so that a server can tell a probe from
// stray traffic and a packet capture reads plainly.
const requestWord = "netpolcheck"

// maxLine bounds a request or reply line; identities are "ns/pod" strings, far
// shorter, and a bound keeps a misbehaving peer from holding memory.
const maxLine = 512

// streamRequest is the line a TCP or SCTP client sends before reading the reply.
func streamRequest(from string) []byte {
	return []byte(requestWord + " " + from + "\n")
}

// datagramRequest is a UDP request: the nonce comes last so that the server
// finds it whatever the source name looks like.
func datagramRequest(from, nonce string) []byte {
	return []byte(requestWord + " " + from + " " + nonce)
}

// datagramNonce returns the nonce of a UDP request, or false when the datagram
// is not a well-formed request and must not be answered.
func datagramNonce(datagram []byte) (string, bool) {
	text := string(datagram)
	if !strings.HasPrefix(text, requestWord+" ") {
		return "", false
	}
	nonce := text[strings.LastIndexByte(text, ' ')+1:]
	if !validNonce(nonce) {
		return "", false
	}
	return nonce, true
}

// datagramReply is the server's answer to a UDP request.
func datagramReply(identity, nonce string) []byte {
	return []byte(identity + " " + nonce)
}

// datagramIdentity returns the identity in a UDP reply, or false when the reply
// does not carry this client's nonce (a late answer to an earlier probe).
func datagramIdentity(datagram []byte, nonce string) (string, bool) {
	identity, got, found := strings.Cut(string(datagram), " ")
	if !found || got != nonce {
		return "", false
	}
	return identity, true
}

// newNonce returns 16 hex digits; crypto/rand never fails on Linux.
func newNonce() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

func validNonce(nonce string) bool {
	if nonce == "" || len(nonce) > 64 {
		return false
	}
	for _, r := range nonce {
		if !('0' <= r && r <= '9' || 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z') {
			return false
		}
	}
	return true
}

// validateIdentity keeps identities to one printable word, because the wire
// protocol separates fields with spaces and ends lines with newlines.
func validateIdentity(identity string) error {
	if identity == "" {
		return errors.New("identity is empty")
	}
	if len(identity) > maxLine/2 {
		return fmt.Errorf("identity is longer than %d bytes", maxLine/2)
	}
	for _, r := range identity {
		if unicode.IsSpace(r) || !unicode.IsPrint(r) {
			return fmt.Errorf("identity %q holds a space or control character", identity)
		}
	}
	return nil
}

var errLineTooLong = fmt.Errorf("line longer than %d bytes", maxLine)

// readLine reads one newline-terminated line of at most maxLine bytes. A line
// cut short by the peer closing is returned when it is not empty, so that a
// reply from a server that forgets the newline still counts.
func readLine(r io.Reader) (string, error) {
	line, err := bufio.NewReaderSize(r, maxLine).ReadSlice('\n')
	switch {
	case err == nil:
		return strings.TrimRight(string(line), "\r\n"), nil
	case errors.Is(err, bufio.ErrBufferFull):
		return "", errLineTooLong
	case errors.Is(err, io.EOF) && len(line) > 0:
		return string(line), nil
	default:
		return "", err
	}
}
