//go:build js && wasm

package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"syscall/js"

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
	data, err := readObject(o.Body, o.Size)
	if err != nil {
		return nil, "", false, fmt.Errorf("R2 object %s: %w", key, err)
	}
	return data, o.HTTPETag, true, nil
}

// rawBody is what syumai's stream reader offers: the JS ReadableStream.
type rawBody interface{ GetRawJSBody() js.Value }

// readChunk is how much one BYOB read asks for.
const readChunk = 1 << 20

// readObject reads exactly size bytes into one slice of that size. A bytes
// stream is read with a BYOB reader in 1 MiB pieces (readAtLeast where the
// runtime has it, as workerd does): a 40 MB object then crosses into Go in
// 40 copies instead of thousands of small chunks, and JavaScript holds one
// MiB at a time. Anything else goes through the io.Reader.
func readObject(body io.Reader, size int) ([]byte, error) {
	data := make([]byte, size)
	rb, ok := body.(rawBody)
	if !ok {
		return readFull(body, data)
	}
	stream := rb.GetRawJSBody()
	reader, err := byobReader(stream)
	if err != nil {
		return readFull(body, data)
	}
	defer reader.Call("releaseLock")
	u8 := js.Global().Get("Uint8Array")
	buf := js.Global().Get("ArrayBuffer").New(readChunk)
	atLeast := reader.Get("readAtLeast").Type() == js.TypeFunction
	for off := 0; ; {
		want := min(readChunk, size-off)
		if want == 0 {
			want = 1 // past the end: the stream must say done
		}
		view := u8.New(buf, 0, want)
		var p js.Value
		if atLeast {
			p = reader.Call("readAtLeast", want, view)
		} else {
			p = reader.Call("read", view)
		}
		res, err := await(p)
		if err != nil {
			return nil, err
		}
		v := res.Get("value")
		n := 0
		if !v.IsUndefined() {
			n = v.Get("byteLength").Int()
			buf = v.Get("buffer") // the read took the buffer over
		}
		if off+n > size {
			return nil, errors.New("longer than its size")
		}
		if n > 0 {
			js.CopyBytesToGo(data[off:off+n], v)
			off += n
		}
		if res.Get("done").Bool() {
			if off != size {
				return nil, fmt.Errorf("ended after %d of %d bytes", off, size)
			}
			return data, nil
		}
	}
}

// byobReader locks stream with a BYOB reader, or fails (leaving it unlocked)
// when the stream is not a byte stream.
func byobReader(stream js.Value) (r js.Value, err error) {
	defer func() {
		if e := recover(); e != nil {
			err = fmt.Errorf("no BYOB reader: %v", e)
		}
	}()
	return stream.Call("getReader", map[string]any{"mode": "byob"}), nil
}

// readFull fills data from r and checks that nothing follows.
func readFull(r io.Reader, data []byte) ([]byte, error) {
	if _, err := io.ReadFull(r, data); err != nil {
		return nil, err
	}
	var one [1]byte
	if n, _ := r.Read(one[:]); n != 0 {
		return nil, errors.New("longer than its size")
	}
	return data, nil
}

// await waits for a JS promise.
func await(p js.Value) (js.Value, error) {
	ok, fail := make(chan js.Value, 1), make(chan error, 1)
	then := js.FuncOf(func(_ js.Value, a []js.Value) any { ok <- a[0]; return nil })
	catch := js.FuncOf(func(_ js.Value, a []js.Value) any { fail <- errors.New(a[0].Call("toString").String()); return nil })
	defer then.Release()
	defer catch.Release()
	p.Call("then", then, catch)
	select {
	case v := <-ok:
		return v, nil
	case err := <-fail:
		return js.Value{}, err
	}
}

func (s *r2Store) Put(_ context.Context, key string, data []byte) (string, error) {
	o, err := s.b.Put(key, io.NopCloser(bytes.NewReader(data)), &r2.PutOptions{HTTPMetadata: r2.HTTPMetadata{ContentType: "application/json"}})
	if err != nil {
		return "", err
	}
	return o.HTTPETag, nil
}
