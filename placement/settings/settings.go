package settings

import (
	"errors"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// ErrUnknownSetting is wrapped by errors about a name that is not a setting.
var ErrUnknownSetting = errors.New("unknown setting")

// ErrInvalidValue is wrapped by errors about a value that does not parse or
// is out of range.
var ErrInvalidValue = errors.New("invalid setting value")

// Error describes a rejected Set; it wraps ErrUnknownSetting or
// ErrInvalidValue (match with errors.Is).
type Error struct {
	Name  string
	Value string
	Kind  error // ErrUnknownSetting or ErrInvalidValue
	Cause error // what was wrong with the value; may be nil
}

func (e *Error) Error() string {
	if e.Kind == ErrUnknownSetting {
		return fmt.Sprintf("unknown setting %q (see `tessera settings list`)", e.Name)
	}
	return fmt.Sprintf("setting %s = %q: %v", e.Name, e.Value, e.Cause)
}

func (e *Error) Unwrap() []error {
	if e.Cause == nil {
		return []error{e.Kind}
	}
	return []error{e.Kind, e.Cause}
}

// Values is one consistent set of setting values, as the decision
// functions read them. Treat it as immutable.
type Values struct {
	RangeMaxBytes               int64
	RangeMinBytes               int64
	LoadSplitQPS                float64
	LoadSplitWindow             time.Duration
	TimeUntilStoreDead          time.Duration
	RebalanceThreshold          float64
	ReplicationFactor           int
	MaxDiskFullness             float64
	RangeCooldown               time.Duration
	MaxRebalanceOps             int
	StoreMaxConcurrentSnapshots int
	// GCTTL is how long MVCC history is kept (gc.ttl): reads at or
	// below now - GCTTL may fail once the GC queue has run.
	GCTTL time.Duration
}

// Kind is the type of a setting's value.
type Kind int

const (
	KindBytes Kind = iota
	KindDuration
	KindInt
	KindFloat
)

func (k Kind) String() string {
	switch k {
	case KindBytes:
		return "bytes"
	case KindDuration:
		return "duration"
	case KindInt:
		return "int"
	default:
		return "float"
	}
}

type def struct {
	name, desc, dflt string
	kind             Kind
	// set parses s into v or returns why not.
	set func(v *Values, s string) error
	get func(v *Values) string
}

func bytesDef(name, desc, dflt string, min int64, p func(*Values) *int64) def {
	return def{name: name, desc: desc, dflt: dflt, kind: KindBytes,
		set: func(v *Values, s string) error {
			n, err := ParseBytes(s)
			if err != nil {
				return err
			}
			if n < min {
				return fmt.Errorf("must be at least %s", FormatBytes(min))
			}
			*p(v) = n
			return nil
		},
		get: func(v *Values) string { return FormatBytes(*p(v)) }}
}

func durDef(name, desc, dflt string, min time.Duration, p func(*Values) *time.Duration) def {
	return def{name: name, desc: desc, dflt: dflt, kind: KindDuration,
		set: func(v *Values, s string) error {
			d, err := ParseDuration(s)
			if err != nil {
				return err
			}
			if d < min {
				return fmt.Errorf("must be at least %s", min)
			}
			*p(v) = d
			return nil
		},
		get: func(v *Values) string { return p(v).String() }}
}

func intDef(name, desc, dflt string, min, max int, p func(*Values) *int) def {
	return def{name: name, desc: desc, dflt: dflt, kind: KindInt,
		set: func(v *Values, s string) error {
			n, err := strconv.Atoi(strings.TrimSpace(s))
			if err != nil {
				return fmt.Errorf("want an integer")
			}
			if n < min || n > max {
				return fmt.Errorf("must be between %d and %d", min, max)
			}
			*p(v) = n
			return nil
		},
		get: func(v *Values) string { return strconv.Itoa(*p(v)) }}
}

func floatDef(name, desc, dflt string, min, max float64, p func(*Values) *float64) def {
	return def{name: name, desc: desc, dflt: dflt, kind: KindFloat,
		set: func(v *Values, s string) error {
			f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
			if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
				return fmt.Errorf("want a number")
			}
			if f < min || f > max {
				return fmt.Errorf("must be between %g and %g", min, max)
			}
			*p(v) = f
			return nil
		},
		get: func(v *Values) string { return strconv.FormatFloat(*p(v), 'g', -1, 64) }}
}

var defs = []def{
	bytesDef("range_max_bytes", "a range larger than this is split (at a row boundary)", "512MiB", 64<<10,
		func(v *Values) *int64 { return &v.RangeMaxBytes }),
	bytesDef("range_min_bytes", "a range smaller than this is merged with its right neighbour when neither is hot", "128MiB", 0,
		func(v *Values) *int64 { return &v.RangeMinBytes }),
	floatDef("load_split_qps", "a range serving more queries per second than this for load_split_window is split by load", "2500", 1, 1e9,
		func(v *Values) *float64 { return &v.LoadSplitQPS }),
	durDef("load_split_window", "how long a range must stay above load_split_qps before it is split by load", "10s", 0,
		func(v *Values) *time.Duration { return &v.LoadSplitWindow }),
	durDef("time_until_store_dead", "a store that has not heartbeated for this long is dead and its replicas are replaced", "5m", time.Second,
		func(v *Values) *time.Duration { return &v.TimeUntilStoreDead }),
	floatDef("rebalance_threshold", "stores are balanced when their replica count, lease count and QPS are within this fraction of the mean", "0.05", 0.001, 1,
		func(v *Values) *float64 { return &v.RebalanceThreshold }),
	intDef("replication_factor", "number of voting replicas of every range", "3", 1, 9,
		func(v *Values) *int { return &v.ReplicationFactor }),
	floatDef("max_disk_fullness", "no replica is moved onto a store whose disk is fuller than this fraction", "0.92", 0.1, 1,
		func(v *Values) *float64 { return &v.MaxDiskFullness }),
	durDef("range_cooldown", "a range whose replicas or lease changed more recently than this is not rebalanced again (repair is not delayed)", "1m", 0,
		func(v *Values) *time.Duration { return &v.RangeCooldown }),
	intDef("max_rebalance_ops", "at most this many rebalancing operators (replica or lease moves) start per decision cycle", "16", 0, 100000,
		func(v *Values) *int { return &v.MaxRebalanceOps }),
	intDef("store_max_concurrent_snapshots", "at most this many replicas may be in flight onto one store at a time", "2", 1, 1000,
		func(v *Values) *int { return &v.StoreMaxConcurrentSnapshots }),
	durDef("gc.ttl", "MVCC history is kept this long: reads (AS OF SYSTEM TIME) further in the past fail once garbage collection has run", "4h", time.Second,
		func(v *Values) *time.Duration { return &v.GCTTL }),
}

var byName = func() map[string]*def {
	m := make(map[string]*def, len(defs))
	for i := range defs {
		m[defs[i].name] = &defs[i]
	}
	return m
}()

// Defaults returns the default values.
func Defaults() Values {
	var v Values
	for _, d := range defs {
		if err := d.set(&v, d.dflt); err != nil {
			panic(fmt.Sprintf("settings: bad default for %s: %v", d.name, err)) // programming error, caught by tests
		}
	}
	return v
}

// Validate reports an inconsistency between values, or nil. Setting
// range_max_bytes alone below range_min_bytes is allowed (the black-box
// test sets range_max_bytes=1MiB and nothing else); the decision functions
// then use EffectiveRangeMinBytes.
func (v Values) Validate() error {
	if v.RangeMaxBytes <= 0 {
		return fmt.Errorf("range_max_bytes must be positive")
	}
	return nil
}

// EffectiveRangeMinBytes is the merge threshold actually used: the
// range_min_bytes setting, but never more than a quarter of
// range_max_bytes, so that a merged range stays well below the split size
// and split and merge cannot undo each other.
func (v Values) EffectiveRangeMinBytes() int64 {
	if q := v.RangeMaxBytes / 4; v.RangeMinBytes > q {
		return q
	}
	return v.RangeMinBytes
}

// Entry describes one setting for listing.
type Entry struct {
	Name        string
	Kind        Kind
	Value       string
	Default     string
	Description string
}

// Registry holds the current values. The zero value is not usable; use
// NewRegistry.
type Registry struct {
	cur atomic.Pointer[Values]
	mu  sync.Mutex // serializes Set; leaf lock
}

// NewRegistry returns a registry holding the defaults.
func NewRegistry() *Registry {
	r := &Registry{}
	v := Defaults()
	r.cur.Store(&v)
	return r
}

// Values returns the current values (a copy).
func (r *Registry) Values() Values { return *r.cur.Load() }

// Set parses value and makes it the current value of the named setting.
// On error nothing changes.
func (r *Registry) Set(name, value string) error {
	d, ok := byName[strings.TrimSpace(name)]
	if !ok {
		return &Error{Name: name, Value: value, Kind: ErrUnknownSetting}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	v := *r.cur.Load()
	if err := d.set(&v, value); err != nil {
		return &Error{Name: d.name, Value: value, Kind: ErrInvalidValue, Cause: err}
	}
	if err := v.Validate(); err != nil {
		return &Error{Name: d.name, Value: value, Kind: ErrInvalidValue, Cause: err}
	}
	r.cur.Store(&v)
	return nil
}

// Reset restores the named setting's default.
func (r *Registry) Reset(name string) error {
	d, ok := byName[strings.TrimSpace(name)]
	if !ok {
		return &Error{Name: name, Kind: ErrUnknownSetting}
	}
	return r.Set(d.name, d.dflt)
}

// Get returns the current value of the named setting, formatted.
func (r *Registry) Get(name string) (string, error) {
	d, ok := byName[strings.TrimSpace(name)]
	if !ok {
		return "", &Error{Name: name, Kind: ErrUnknownSetting}
	}
	v := r.cur.Load()
	return d.get(v), nil
}

// List returns every setting, sorted by name, with its current value.
func (r *Registry) List() []Entry {
	v := r.cur.Load()
	out := make([]Entry, 0, len(defs))
	for _, d := range defs {
		out = append(out, Entry{Name: d.name, Kind: d.kind, Value: d.get(v), Default: d.dflt, Description: d.desc})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}
