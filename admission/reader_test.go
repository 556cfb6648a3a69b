package admission

import (
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

// Every chunk is counted before it is handed on; a refusal ends the read
// with Take's error, told apart from R's own.
func TestReader(t *testing.T) {
	full := errors.New("full")
	var taken []int64
	budget := int64(10)
	r := Reader{R: iotest.OneByteReader(strings.NewReader("abcdefghijklmnop")), Take: func(n int64) error {
		if budget -= n; budget < 0 {
			return full
		}
		taken = append(taken, n)
		return nil
	}}
	data, err := io.ReadAll(r)
	var refused *Refused
	if !errors.As(err, &refused) || !errors.Is(err, full) || refused.Err != full {
		t.Fatalf("ReadAll = %q, %v; want a *Refused carrying the budget's error", data, err)
	}
	if len(taken) != 10 || string(data) != "abcdefghijk" {
		t.Fatalf("took %d chunks, read %q; want 10 chunks and the 11th byte read with the refusal", len(taken), data)
	}

	broken := errors.New("connection reset")
	_, err = io.ReadAll(Reader{R: iotest.ErrReader(broken), Take: func(int64) error { return nil }})
	if !errors.Is(err, broken) || errors.As(err, &refused) {
		t.Fatalf("a failing body: %v; want its own error, not a refusal", err)
	}
}
