package driver

import (
	"context"
	"log/slog"

	"github.com/tesseradb/tessera/kv/keys"
	"github.com/tesseradb/tessera/placement/settings"
)

// SettingsKV is what cluster settings need of the kv layer.
type SettingsKV interface {
	Scan(ctx context.Context, start, end []byte) ([]KeyValue, error)
	Put(ctx context.Context, key, value []byte) error
}

// LoadSettings reads every stored cluster setting (kv/keys.SettingKey →
// the value as text) into reg; settings not stored keep their defaults.
// A stored name this binary does not know, or a value it rejects, is
// logged and skipped (a newer node may have written it), so one bad
// record cannot stop the others from applying.
func LoadSettings(ctx context.Context, kv SettingsKV, reg *settings.Registry, log *slog.Logger) error {
	kvs, err := kv.Scan(ctx, keys.SettingsPrefix, keys.SettingsEnd)
	if err != nil {
		return err
	}
	stored := map[string]bool{}
	for _, r := range kvs {
		name, err := keys.DecodeSettingKey(r.Key)
		if err != nil {
			continue
		}
		stored[name] = true
		if cur, err := reg.Get(name); err == nil && cur == string(r.Value) {
			continue
		}
		if err := reg.Set(name, string(r.Value)); err != nil {
			log.Warn("ignoring stored cluster setting", "name", name, "err", err)
		}
	}
	// A setting deleted from the store goes back to its default.
	for _, e := range reg.List() {
		if !stored[e.Name] && e.Value != e.Default {
			if err := reg.Reset(e.Name); err != nil {
				log.Warn("resetting cluster setting", "name", e.Name, "err", err)
			}
		}
	}
	return nil
}

// StoreSetting validates value against the setting's rules (on a scratch
// registry holding the current values of reg) and, if it is acceptable,
// writes it and applies it to reg. Errors for unknown names or bad values
// are *settings.Error.
func StoreSetting(ctx context.Context, kv SettingsKV, reg *settings.Registry, name, value string) (settings.Entry, error) {
	scratch := settings.NewRegistry()
	for _, e := range reg.List() {
		_ = scratch.Set(e.Name, e.Value)
	}
	if err := scratch.Set(name, value); err != nil {
		return settings.Entry{}, err
	}
	canon, _ := scratch.Get(name)
	if err := kv.Put(ctx, keys.SettingKey(name), []byte(canon)); err != nil {
		return settings.Entry{}, err
	}
	if err := reg.Set(name, canon); err != nil {
		return settings.Entry{}, err
	}
	for _, e := range reg.List() {
		if e.Name == name {
			return e, nil
		}
	}
	return settings.Entry{Name: name, Value: canon}, nil
}
