package placement

import (
	"math/rand"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tesseradb/tessera/kv/kvpb"
	"github.com/tesseradb/tessera/placement/settings"
)

// TestMergeRespectsStickySplit: the merge checker leaves a boundary alone
// while the right range's manual-split marker is in the future, and
// merges as usual once it has expired or when only the left range is
// marked (the left's marker is about its own start boundary).
func TestMergeRespectsStickySplit(t *testing.T) {
	const cluster = `
store s1 n1
store s2 n2
store s3 n3
range r2 start=a end=b size=10MiB voters=s1,s2,s3 lease=s1
range r3 start=b end=c size=20MiB voters=s1,s2,s3 lease=s2
range r4 start=c size=500MiB voters=s1,s2,s3 lease=s3
`
	for _, tc := range []struct {
		name               string
		leftSticky         time.Duration // relative to the snapshot time; 0: unset
		rightSticky        time.Duration
		rightStickyForever bool
		wantMerge          bool
	}{
		{name: "no marker", wantMerge: true},
		{name: "right sticky for an hour", rightSticky: time.Hour, wantMerge: false},
		{name: "right sticky forever", rightStickyForever: true, wantMerge: false},
		{name: "right marker expired", rightSticky: -time.Minute, wantMerge: true},
		{name: "only the left is sticky", leftSticky: time.Hour, wantMerge: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			snap := parseCluster(t, cluster, settings.NewRegistry())
			set := func(id kvpb.RangeID, d time.Duration, forever bool) {
				r := snap.Range(id)
				require.NotNil(t, r)
				switch {
				case forever:
					r.StickyUntil = time.Unix(0, 1<<63-1)
				case d != 0:
					r.StickyUntil = snap.Now.Add(d)
				}
			}
			set(2, tc.leftSticky, false)
			set(3, tc.rightSticky, tc.rightStickyForever)
			var p Planner
			merged := false
			for _, op := range p.Plan(snap, rand.New(rand.NewSource(1))) {
				if op.RangeID == 2 && op.Kind == OpMerge {
					merged = true
				}
			}
			require.Equal(t, tc.wantMerge, merged)
		})
	}
}
