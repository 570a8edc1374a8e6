package driver

import (
	"context"
	"errors"
	"log/slog"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tesseradb/tessera/kv/keys"
	"github.com/tesseradb/tessera/placement/settings"
)

// TestSettingsRoundTrip: a setting stored through one node's registry is
// read by another node's; bad names and values are refused and change
// nothing; unknown stored names are skipped; deleted ones revert.
func TestSettingsRoundTrip(t *testing.T) {
	ctx := context.Background()
	kv := newMemKV()
	a, b := settings.NewRegistry(), settings.NewRegistry()
	e, err := StoreSetting(ctx, kv, a, "range_max_bytes", "64KiB")
	require.NoError(t, err)
	require.Equal(t, "64KiB", e.Value)
	_, err = StoreSetting(ctx, kv, a, "time_until_store_dead", "10s")
	require.NoError(t, err)
	_, err = StoreSetting(ctx, kv, a, "range_min_bytes", "1048576")
	require.NoError(t, err)
	require.Equal(t, "1MiB", string(kv.m[string(keys.SettingKey("range_min_bytes"))]), "stored in canonical form")

	require.NoError(t, LoadSettings(ctx, kv, b, slog.Default()))
	v := b.Values()
	require.EqualValues(t, 64<<10, v.RangeMaxBytes)
	require.EqualValues(t, 1<<20, v.RangeMinBytes)
	require.Equal(t, "10s", v.TimeUntilStoreDead.String())

	_, err = StoreSetting(ctx, kv, a, "no_such_setting", "1")
	require.ErrorIs(t, err, settings.ErrUnknownSetting)
	_, err = StoreSetting(ctx, kv, a, "range_max_bytes", "lots")
	require.ErrorIs(t, err, settings.ErrInvalidValue)
	_, err = StoreSetting(ctx, kv, a, "time_until_store_dead", "-5m")
	require.ErrorIs(t, err, settings.ErrInvalidValue)
	var se *settings.Error
	require.True(t, errors.As(err, &se))
	require.Len(t, kv.m, 3, "rejected values are not stored")

	// A record this binary does not know, and a bad value, are skipped.
	kv.m[string(keys.SettingKey("future_setting"))] = []byte("x")
	kv.m[string(keys.SettingKey("load_split_qps"))] = []byte("many")
	require.NoError(t, LoadSettings(ctx, kv, b, slog.Default()))
	require.EqualValues(t, 2500, b.Values().LoadSplitQPS)
	require.EqualValues(t, 64<<10, b.Values().RangeMaxBytes)

	// Deleting a stored setting brings its default back.
	delete(kv.m, string(keys.SettingKey("range_max_bytes")))
	require.NoError(t, LoadSettings(ctx, kv, b, slog.Default()))
	require.Equal(t, settings.Defaults().RangeMaxBytes, b.Values().RangeMaxBytes)
}
