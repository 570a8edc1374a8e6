package placement

import (
	"bytes"
	"fmt"
	"sort"

	"github.com/tesseradb/tessera/placement/settings"
)

// metaRange is never split or merged.
const metaRange = 1

func (c *cycle) safeKey(key []byte) []byte {
	if key == nil || c.p.SafeSplitKey == nil {
		return key
	}
	return c.p.SafeSplitKey(key)
}

// MedianSampledKey is the default size split key: the median of the
// range's distinct sampled request keys (nil without samples).
func MedianSampledKey(r *Range) []byte {
	if len(r.Samples) == 0 {
		return nil
	}
	keys := make([][]byte, 0, len(r.Samples))
	for _, s := range r.Samples {
		keys = append(keys, s.Key)
	}
	sort.Slice(keys, func(i, j int) bool { return bytes.Compare(keys[i], keys[j]) < 0 })
	return keys[len(keys)/2]
}

// LoadSplitKey returns the sampled key that divides the sampled requests
// most evenly (requests on keys before it go left) and the fraction that
// goes left; nil when no key separates any load.
func LoadSplitKey(r *Range) ([]byte, float64) {
	samples := append([]KeySample(nil), r.Samples...)
	sort.Slice(samples, func(i, j int) bool { return bytes.Compare(samples[i].Key, samples[j].Key) < 0 })
	var total int64
	for _, s := range samples {
		total += s.Count
	}
	if total <= 0 {
		return nil, 0
	}
	var best []byte
	bestDiff, bestLeft := total+1, 0.0
	var left int64
	for i, s := range samples {
		if i > 0 && !bytes.Equal(s.Key, samples[i-1].Key) && left > 0 {
			diff := total - 2*left
			if diff < 0 {
				diff = -diff
			}
			if diff < bestDiff {
				best, bestDiff, bestLeft = s.Key, diff, float64(left)/float64(total)
			}
		}
		left += s.Count
	}
	return best, bestLeft
}

// sustainedHot reports whether r's QPS has stayed at or above
// load_split_qps for load_split_window: the last history sample taken at
// or before the window's start and every later one are above the
// threshold (so the history must reach back that far).
func (c *cycle) sustainedHot(r *Range) bool {
	thr, win := c.s.Settings.LoadSplitQPS, c.s.Settings.LoadSplitWindow
	if r.QPS < thr {
		return false
	}
	if win == 0 {
		return true
	}
	start := c.s.Now.Add(-win)
	covered := false
	for _, h := range r.QPSHistory {
		if h.At.After(c.s.Now) {
			continue
		}
		if !h.At.After(start) {
			covered = h.QPS >= thr // a later sample at or before start replaces an earlier one
			continue
		}
		if h.QPS < thr {
			return false
		}
	}
	return covered
}

// splits splits ranges above range_max_bytes or sustained above
// load_split_qps.
func (c *cycle) splits() {
	v := c.s.Settings
	for i := range c.s.Ranges {
		r := &c.s.Ranges[i]
		if c.busy[r.ID] {
			continue
		}
		if r.ID == metaRange && (r.SizeBytes <= v.RangeMaxBytes || c.p.SizeSplitKey == nil) {
			// Range 1 keeps every meta record; only the keys after them
			// may be split off it, at a size split key (which the
			// leaseholder picks above the meta records).
			c.note(r.ID, "the meta range is never split inside the meta records, nor by load")
			continue
		}
		if r.SizeBytes > v.RangeMaxBytes {
			var key []byte
			src := "the median sampled key"
			if c.p.SizeSplitKey != nil {
				key, src = c.p.SizeSplitKey(r), "the size split key"
			} else {
				key = MedianSampledKey(r)
			}
			key = c.safeKey(key)
			if !inRange(r, key) {
				c.note(r.ID, "size %s is above range_max_bytes %s but no row boundary inside the range to split at", settings.HumanBytes(r.SizeBytes), settings.FormatBytes(v.RangeMaxBytes))
			} else {
				c.emit(newOp(c.s, r, OpSplitSize, fmt.Sprintf("size %s is above range_max_bytes %s; split at %q (%s)",
					settings.HumanBytes(r.SizeBytes), settings.FormatBytes(v.RangeMaxBytes), key, src)).split(key))
				continue
			}
			if r.ID == metaRange {
				continue
			}
		} else if c.explain == r.ID {
			c.note(r.ID, "size %s is within range_max_bytes %s", settings.HumanBytes(r.SizeBytes), settings.FormatBytes(v.RangeMaxBytes))
		}
		if !c.sustainedHot(r) {
			if c.explain == r.ID {
				c.note(r.ID, "QPS %.0f has not stayed above load_split_qps %.0f for load_split_window %s", r.QPS, v.LoadSplitQPS, v.LoadSplitWindow)
			}
			continue
		}
		key, left := LoadSplitKey(r)
		key = c.safeKey(key)
		if !inRange(r, key) {
			c.note(r.ID, "QPS %.0f is above load_split_qps %.0f but the sampled keys give no split key inside the range", r.QPS, v.LoadSplitQPS)
			continue
		}
		c.emit(newOp(c.s, r, OpSplitLoad, fmt.Sprintf("QPS %.0f above load_split_qps %.0f for %s; split at %q sends %.0f%% of sampled requests left",
			r.QPS, v.LoadSplitQPS, v.LoadSplitWindow, key, 100*left)).split(key))
	}
}
