package keys

import (
	"encoding/binary"
	"fmt"
)

// System keys of the placement driver (the \x03 space):
//
//	\x03liveness/<node:8 BE>  liveness record of a node (placementpb.LivenessRecord)
//	\x03placement-lease       the placement driver's lease (placementpb.PlacementLease)
//	\x03settings/<name>       a cluster setting's value, as text
var (
	LivenessPrefix    = []byte("\x03liveness/")
	LivenessEnd       = []byte("\x03liveness0") // '0' follows '/'
	PlacementLeaseKey = []byte("\x03placement-lease")
	SettingsPrefix    = []byte("\x03settings/")
	SettingsEnd       = []byte("\x03settings0")
)

// LivenessKey returns the key of node's liveness record.
func LivenessKey(node uint64) []byte {
	k := make([]byte, 0, len(LivenessPrefix)+8)
	k = append(k, LivenessPrefix...)
	return binary.BigEndian.AppendUint64(k, node)
}

// DecodeLivenessKey returns the node a liveness key names.
func DecodeLivenessKey(k []byte) (uint64, error) {
	if len(k) != len(LivenessPrefix)+8 || string(k[:len(LivenessPrefix)]) != string(LivenessPrefix) {
		return 0, fmt.Errorf("keys: not a liveness key: %q", k)
	}
	return binary.BigEndian.Uint64(k[len(LivenessPrefix):]), nil
}

// SettingKey returns the key holding the named cluster setting.
func SettingKey(name string) []byte {
	k := make([]byte, 0, len(SettingsPrefix)+len(name))
	k = append(k, SettingsPrefix...)
	return append(k, name...)
}

// DecodeSettingKey returns the setting name a settings key names.
func DecodeSettingKey(k []byte) (string, error) {
	if len(k) <= len(SettingsPrefix) || string(k[:len(SettingsPrefix)]) != string(SettingsPrefix) {
		return "", fmt.Errorf("keys: not a setting key: %q", k)
	}
	return string(k[len(SettingsPrefix):]), nil
}
