package sem

import (
	"strings"
	"unicode/utf8"

	"github.com/tesseradb/tessera/sql/types"
)

// encodingName normalises an encoding name as PostgreSQL's
// pg_char_to_encoding compares them: case and non-alphanumerics ignored,
// with the common aliases; "" when unknown.
func encodingName(n string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(n) {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') {
			b.WriteRune(r)
		}
	}
	switch b.String() {
	case "utf8", "unicode":
		return "UTF8"
	case "sqlascii":
		return "SQL_ASCII"
	case "latin1", "iso88591":
		return "LATIN1"
	}
	return ""
}

func init() {
	T, I4, BY := types.String, types.Int4, types.Bytes
	// convert_to(text, encoding) and convert_from(bytea, encoding): the
	// database encoding is UTF8; LATIN1 and SQL_ASCII are converted too.
	def("convert_to", BY, func(_ *EvalContext, a []types.Datum) (types.Datum, error) {
		s := str(a[0])
		switch encodingName(str(a[1])) {
		case "UTF8", "SQL_ASCII":
			return types.DBytes(s), nil
		case "LATIN1":
			b := make([]byte, 0, len(s))
			for _, r := range s {
				if r > 0xFF {
					return nil, errorf(CodeUntranslatable, "character with byte sequence %s in encoding \"UTF8\" has no equivalent in encoding \"LATIN1\"", byteSeq(string(r)))
				}
				b = append(b, byte(r))
			}
			return types.DBytes(b), nil
		}
		return nil, errorf(CodeInvalidParameterValue, "invalid destination encoding name \"%s\"", str(a[1]))
	}, T, T)
	def("convert_from", T, func(_ *EvalContext, a []types.Datum) (types.Datum, error) {
		b := string(a[0].(types.DBytes))
		switch encodingName(str(a[1])) {
		case "UTF8", "SQL_ASCII":
			if err := checkUTF8(b); err != nil {
				return nil, err
			}
			return dstr(b), nil
		case "LATIN1":
			var s strings.Builder
			for i := 0; i < len(b); i++ {
				if b[i] == 0 {
					return nil, errorf(CodeCharacterNotInRepert, "invalid byte sequence for encoding \"LATIN1\": 0x00")
				}
				s.WriteRune(rune(b[i]))
			}
			return dstr(s.String()), nil
		}
		return nil, errorf(CodeInvalidParameterValue, "invalid source encoding name \"%s\"", str(a[1]))
	}, BY, T)
	def("set_byte", BY, func(_ *EvalContext, a []types.Datum) (types.Datum, error) {
		b, n := a[0].(types.DBytes), in(a[1])
		if n < 0 || n >= int64(len(b)) {
			return nil, errorf(CodeArraySubscriptError, "index %d out of valid range, 0..%d", n, len(b)-1)
		}
		out := []byte(b)
		out = append([]byte(nil), out...)
		out[n] = byte(in(a[2]))
		return types.DBytes(out), nil
	}, BY, I4, I4)
}

// checkUTF8 refuses what is not UTF-8 text, and NUL, as PostgreSQL's
// verification of text input does.
func checkUTF8(s string) error {
	for i := 0; i < len(s); {
		r, w := utf8.DecodeRuneInString(s[i:])
		if r == 0 || (r == utf8.RuneError && w == 1) {
			end := min(i+w+1, len(s))
			if r == utf8.RuneError {
				end = min(i+4, len(s))
			}
			return errorf(CodeCharacterNotInRepert, "invalid byte sequence for encoding \"UTF8\": %s", byteSeq(s[i:end]))
		}
		i += w
	}
	return nil
}

// byteSeq writes bytes as PostgreSQL's encoding errors do: 0xc3 0x28.
func byteSeq(s string) string {
	const hexd = "0123456789abcdef"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString("0x")
		b.WriteByte(hexd[s[i]>>4])
		b.WriteByte(hexd[s[i]&15])
	}
	return b.String()
}
