package dialect

import (
	"encoding/json"
	"fmt"
	"io"
)

// jsonWalker reads one flat JSON object as a stream of tokens, so that
// nothing is built for a value it refuses: an array or object member
// fails at its opening bracket, however long it is.
type jsonWalker struct{ dec *json.Decoder }

var errMalformedJSON = &BodyError{Msg: "The JSON body is malformed."}

func newJSONWalker(r io.Reader) *jsonWalker {
	dec := json.NewDecoder(r)
	dec.UseNumber()
	return &jsonWalker{dec: dec}
}

// open reads the object's opening brace.
func (w *jsonWalker) open() error {
	tok, err := w.dec.Token()
	if err != nil || tok != json.Delim('{') {
		return errMalformedJSON
	}
	return nil
}

// member reads the next member: its name and its value as text (set is
// false for null), or done at the closing brace.
func (w *jsonWalker) member() (name, text string, set, done bool, err error) {
	if !w.dec.More() {
		if tok, err := w.dec.Token(); err != nil || tok != json.Delim('}') {
			return "", "", false, false, errMalformedJSON
		}
		return "", "", false, true, nil
	}
	tok, err := w.dec.Token()
	name, isName := tok.(string)
	if err != nil || !isName {
		return "", "", false, false, errMalformedJSON
	}
	tok, err = w.dec.Token()
	if err != nil {
		return "", "", false, false, errMalformedJSON
	}
	switch v := tok.(type) {
	case nil:
		return name, "", false, false, nil
	case string:
		return name, v, true, false, nil
	case bool:
		return name, fmt.Sprint(v), true, false, nil
	case json.Number:
		return name, v.String(), true, false, nil
	}
	return "", "", false, false, &BodyError{Field: name, Msg: fmt.Sprintf("The JSON field %s must be a string, number or boolean.", Quote(name))}
}

// end checks that nothing but space follows the object.
func (w *jsonWalker) end() error {
	if _, err := w.dec.Token(); err != io.EOF {
		return &BodyError{Msg: "The JSON body has data after its object."}
	}
	return nil
}
