package nodeimage

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
)

// Key identifies the content a cached stage was built from: the same key means
// the same output, so a stage whose key is cached is never built again.
type Key string

// Short is the key's first 12 hex digits, enough to tell builds apart in names and logs.
func (k Key) Short() string {
	if len(k) < 12 {
		return string(k)
	}
	return string(k[:12])
}

// KeyBuilder hashes named inputs into a Key. Each input is framed with its name
// and length so that moving bytes from one input to the next changes the key.
type KeyBuilder struct {
	entries map[string][]byte
}

// NewKeyBuilder starts an empty key.
func NewKeyBuilder() *KeyBuilder { return &KeyBuilder{entries: map[string][]byte{}} }

// String adds a named value, such as a version or a flag.
func (b *KeyBuilder) String(name, value string) *KeyBuilder {
	b.entries["s:"+name] = []byte(value)
	return b
}

// Bytes adds a named blob, such as an embedded script.
func (b *KeyBuilder) Bytes(name string, data []byte) *KeyBuilder {
	b.entries["b:"+name] = data
	return b
}

// Key adds another stage's key, so that a stage is rebuilt when what it consumes changes.
func (b *KeyBuilder) Key(name string, k Key) *KeyBuilder {
	b.entries["k:"+name] = []byte(k)
	return b
}

// Tree adds every regular file and symlink under dir, by path relative to dir.
// File modes are left out on purpose: git does not keep most of them.
func (b *KeyBuilder) Tree(name, dir string) error {
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(dir, path)
		if err != nil {
			return err
		}
		switch {
		case d.Type()&fs.ModeSymlink != 0:
			target, err := os.Readlink(path)
			if err != nil {
				return err
			}
			b.entries["l:"+name+"/"+filepath.ToSlash(rel)] = []byte(target)
		case d.Type().IsRegular():
			data, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			b.entries["f:"+name+"/"+filepath.ToSlash(rel)] = data
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("hash %s: %w", dir, err)
	}
	return nil
}

// Sum returns the key: the SHA-256 of the inputs in name order, so the order
// they were added in does not matter.
func (b *KeyBuilder) Sum() Key {
	names := make([]string, 0, len(b.entries))
	for name := range b.entries {
		names = append(names, name)
	}
	sort.Strings(names)
	h := sha256.New()
	var frame [8]byte
	for _, name := range names {
		for _, part := range [][]byte{[]byte(name), b.entries[name]} {
			binary.BigEndian.PutUint64(frame[:], uint64(len(part)))
			h.Write(frame[:])
			h.Write(part)
		}
	}
	return Key(hex.EncodeToString(h.Sum(nil)))
}
