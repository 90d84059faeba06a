package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
)

// etagOf is the strong ETag the local stores give an object.
func etagOf(data []byte) string {
	h := sha256.Sum256(data)
	return `"` + hex.EncodeToString(h[:16]) + `"`
}

// memStore is a Store in memory, for tests.
type memStore struct {
	mu   sync.Mutex
	objs map[string][]byte
	gets int
}

func newMemStore() *memStore { return &memStore{objs: map[string][]byte{}} }

func (m *memStore) Head(_ context.Context, key string) (string, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	b, ok := m.objs[key]
	if !ok {
		return "", false, nil
	}
	return etagOf(b), true, nil
}

func (m *memStore) Get(_ context.Context, key string) ([]byte, string, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.gets++
	b, ok := m.objs[key]
	if !ok {
		return nil, "", false, nil
	}
	return b, etagOf(b), true, nil
}

func (m *memStore) Put(_ context.Context, key string, data []byte) (string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.objs[key] = data
	return etagOf(data), nil
}

// dirStore is a Store in a directory, for the native server.
type dirStore struct{ dir string }

func (d dirStore) path(key string) string { return filepath.Join(d.dir, filepath.FromSlash(key)) }

func (d dirStore) Head(ctx context.Context, key string) (string, bool, error) {
	_, etag, ok, err := d.Get(ctx, key)
	return etag, ok, err
}

func (d dirStore) Get(_ context.Context, key string) ([]byte, string, bool, error) {
	b, err := os.ReadFile(d.path(key))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, "", false, nil
	}
	if err != nil {
		return nil, "", false, err
	}
	return b, etagOf(b), true, nil
}

func (d dirStore) Put(_ context.Context, key string, data []byte) (string, error) {
	p := d.path(key)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return "", err
	}
	tmp := p + ".tmp"
	if err := os.WriteFile(tmp, data, 0o644); err != nil {
		return "", err
	}
	return etagOf(data), os.Rename(tmp, p)
}
