package types

import (
	"errors"

	"github.com/tesseradb/tessera/sql/jsonpath"
)

// parseJSONPath is jsonpath's input function: a parse error keeps its
// SQLSTATE (42601), as PostgreSQL's does.
func parseJSONPath(s string) (Datum, error) {
	p, err := jsonpath.Parse(s)
	if err != nil {
		var je *jsonpath.Error
		if errors.As(err, &je) {
			return nil, errorf(je.Code, "%s", je.Message)
		}
		return nil, err
	}
	return &DJSONPath{P: p}, nil
}
