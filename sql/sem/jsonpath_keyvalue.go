package sem

import (
	"strings"

	"github.com/cockroachdb/apd/v3"
	"github.com/tesseradb/tessera/sql/types"
)

// .keyvalue() numbers each object's pairs with PostgreSQL's "id": the
// byte offset of the object's container in the jsonb value's binary
// form (plus 10000000000 for the vars document). The offsets follow
// PostgreSQL's jsonb layout (convertToJsonb): after a 4-byte varlena
// header, a container is a 4-byte header and one 4-byte JEntry per
// element (two per pair: keys, then values), then the keys' bytes and
// the values' data; containers and numerics start 4-byte aligned, and a
// numeric is its varlena (a 6- or 8-byte header and 2 bytes per
// base-10000 digit).

// jsonbObjectIDs maps each object in v to its keyvalue id.
func jsonbObjectIDs(v any, base int64) map[*types.JSONObject]int64 {
	ids := map[*types.JSONObject]int64{}
	var layout func(v any, off int) int
	layout = func(v any, off int) int {
		switch x := v.(type) {
		case nil, bool:
			return off
		case string:
			return off + len(x)
		case *apd.Decimal:
			return pad4(off) + numericSize(x)
		case []any:
			off = pad4(off) + 4 + 4*len(x)
			for _, e := range x {
				off = layout(e, off)
			}
			return off
		case *types.JSONObject:
			off = pad4(off)
			ids[x] = base + int64(off-4)
			off += 4 + 8*len(x.Keys)
			for _, k := range x.Keys {
				off += len(k)
			}
			for _, e := range x.Values {
				off = layout(e, off)
			}
			return off
		}
		return off
	}
	layout(v, 4)
	return ids
}

func pad4(off int) int { return (off + 3) &^ 3 }

// numericSize is the size of PostgreSQL's numeric varlena for d.
func numericSize(d *apd.Decimal) int {
	dscale := 0
	if d.Exponent < 0 {
		dscale = int(-d.Exponent)
	}
	digits := strings.TrimLeft(d.Coeff.String(), "0")
	if digits == "" {
		if dscale > 63 {
			return 8
		}
		return 6
	}
	// the power of ten of the most and of the least significant nonzero
	// digits, and their base-10000 groups
	hi := len(digits) - 1 + int(d.Exponent)
	last := len(strings.TrimRight(digits, "0")) - 1
	lo := len(digits) - 1 - last + int(d.Exponent)
	group := func(p int) int {
		if p >= 0 {
			return p / 4
		}
		return -((-p + 3) / 4)
	}
	weight := group(hi)
	n := weight - group(lo) + 1
	hdr := 8
	if dscale <= 63 && weight <= 63 && weight >= -64 {
		hdr = 6
	}
	return hdr + 2*n
}
