package server

import (
	"bytes"
	"context"
	"errors"
	"fmt"

	"github.com/tesseradb/tessera/kv/kvpb"
	"github.com/tesseradb/tessera/placement/driver"
	pb "github.com/tesseradb/tessera/placement/placementpb"
	"github.com/tesseradb/tessera/placement/settings"
	"github.com/tesseradb/tessera/sql/session"
)

// sqlAdmin is the SQL layer's session.ClusterAdmin on a node: SPLIT AT,
// SCATTER, SHOW RANGES and the cluster settings run the same server-side
// paths as the Admin and Placement RPCs (ranges_admin.go, placement.go),
// called in-process.
type sqlAdmin struct{ s *Server }

var _ session.ClusterAdmin = sqlAdmin{}

// Split splits at key unless key is already a range boundary. A sticky
// split is a user's (ALTER TABLE … SPLIT AT): it is marked manual, so the
// placement driver's merge checker leaves it alone.
func (a sqlAdmin) Split(ctx context.Context, key []byte, sticky bool) error {
	if a.isBoundary(ctx, key) {
		return nil
	}
	_, err := (&adminServer{s: a.s}).AdminSplit(ctx, &kvpb.AdminSplitRequest{SplitKey: key, Manual: sticky})
	if err != nil {
		// Another split (the driver's, a concurrent statement) may have
		// made key a boundary meanwhile.
		if a.isBoundary(ctx, key) {
			return nil
		}
		return err
	}
	return nil
}

// isBoundary reports whether key starts a range, as this node's replica
// of it or else meta says now.
func (a sqlAdmin) isBoundary(ctx context.Context, key []byte) bool {
	if st := a.s.store(); st != nil {
		if d := st.ReplicaContaining(key); d != nil {
			return bytes.Equal(d.GetStartKey(), key)
		}
	}
	d, err := a.s.rangeContaining(ctx, key, true)
	return err == nil && bytes.Equal(d.GetStartKey(), key)
}

// Scatter runs the placement driver's scatter on its leader.
func (a sqlAdmin) Scatter(ctx context.Context, start, end []byte) (int, error) {
	resp, err := (&placementServer{s: a.s}).Scatter(ctx, &pb.ScatterRequest{StartKey: start, EndKey: end})
	if err != nil {
		return 0, err
	}
	return int(resp.GetOperators()), nil
}

// Ranges lists the ranges overlapping [start, end) as RangesList does.
func (a sqlAdmin) Ranges(ctx context.Context, start, end []byte) ([]session.RangeInfo, error) {
	resp, err := (&adminServer{s: a.s}).RangesList(ctx, &kvpb.RangesListRequest{StartKey: start, EndKey: end})
	if err != nil {
		return nil, err
	}
	out := make([]session.RangeInfo, 0, len(resp.GetRanges()))
	for _, e := range resp.GetRanges() {
		d := e.GetDesc()
		ri := session.RangeInfo{RangeID: int64(d.GetRangeId()), StartKey: d.GetStartKey(), EndKey: d.GetEndKey(),
			LeaseholderNode: int64(e.GetLeaseholder().GetNodeId())}
		for _, r := range d.GetReplicas() {
			ri.ReplicaNodes = append(ri.ReplicaNodes, int64(r.GetNodeId()))
		}
		if st := e.GetStats(); st != nil {
			ri.SizeBytes = st.GetKeyBytes() + st.GetValBytes()
		}
		out = append(out, ri)
	}
	return out, nil
}

// SetSetting stores a cluster setting as `tessera settings set` does.
func (a sqlAdmin) SetSetting(ctx context.Context, name, value string) (session.Setting, error) {
	e, err := driver.StoreSetting(ctx, placementKV{a.s}, a.s.settings, name, value)
	if err != nil {
		return session.Setting{}, settingErr(err)
	}
	a.s.log.Info("cluster setting changed (SQL)", "name", e.Name, "value", e.Value)
	return sqlSetting(e), nil
}

// GetSetting returns one setting as the cluster stores it now.
func (a sqlAdmin) GetSetting(ctx context.Context, name string) (session.Setting, error) {
	list, err := a.ListSettings(ctx)
	if err != nil {
		return session.Setting{}, err
	}
	for _, e := range list {
		if e.Name == name {
			return e, nil
		}
	}
	return session.Setting{}, fmt.Errorf("%w %q", session.ErrUnknownSetting, name)
}

// ListSettings reads the settings from the system keys, then lists them.
func (a sqlAdmin) ListSettings(ctx context.Context) ([]session.Setting, error) {
	if err := driver.LoadSettings(ctx, placementKV{a.s}, a.s.settings, a.s.log); err != nil {
		return nil, fmt.Errorf("reading cluster settings: %w", err)
	}
	var out []session.Setting
	for _, e := range a.s.settings.List() {
		out = append(out, sqlSetting(e))
	}
	return out, nil
}

func sqlSetting(e settings.Entry) session.Setting {
	return session.Setting{Name: e.Name, Value: e.Value, Default: e.Default, Kind: e.Kind.String(), Description: e.Description}
}

// settingErr maps the registry's errors onto the SQL layer's.
func settingErr(err error) error {
	switch {
	case errors.Is(err, settings.ErrUnknownSetting):
		return fmt.Errorf("%w: %v", session.ErrUnknownSetting, err)
	case errors.Is(err, settings.ErrInvalidValue):
		return fmt.Errorf("%w: %v", session.ErrInvalidSetting, err)
	}
	return err
}
