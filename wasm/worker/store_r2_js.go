//go:build js && wasm

package main

import (
	"bytes"
	"context"
	"io"

	"github.com/syumai/workers/cloudflare/r2"
)

// r2Store is the Store over an R2 bucket binding.
type r2Store struct{ b *r2.Bucket }

func newR2Store(binding string) (*r2Store, error) {
	b, err := r2.NewBucket(binding)
	if err != nil {
		return nil, err
	}
	return &r2Store{b}, nil
}

func (s *r2Store) Head(_ context.Context, key string) (string, bool, error) {
	o, err := s.b.Head(key)
	if err != nil || o == nil {
		return "", false, err
	}
	return o.HTTPETag, true, nil
}

func (s *r2Store) Get(_ context.Context, key string) ([]byte, string, bool, error) {
	o, err := s.b.Get(key)
	if err != nil || o == nil {
		return nil, "", false, err
	}
	buf := bytes.NewBuffer(make([]byte, 0, o.Size))
	if _, err := io.Copy(buf, o.Body); err != nil {
		return nil, "", false, err
	}
	return buf.Bytes(), o.HTTPETag, true, nil
}

func (s *r2Store) Put(_ context.Context, key string, data []byte) (string, error) {
	o, err := s.b.Put(key, io.NopCloser(bytes.NewReader(data)), &r2.PutOptions{HTTPMetadata: r2.HTTPMetadata{ContentType: "application/json"}})
	if err != nil {
		return "", err
	}
	return o.HTTPETag, nil
}
