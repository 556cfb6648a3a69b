package imgproxy

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/jebosio/matte/dialect/internal/pathurl"
	"github.com/jebosio/matte/params"
)

// defaultPreset is applied to every URL before its own options, as
// imgproxy applies its "default" preset.
const defaultPreset = "default"

// parsePresets checks the preset definitions (see Site.Presets) against
// d and returns each one's option parts, by name.
func (d *Dialect) parsePresets(defs map[string]string) (map[string][]string, error) {
	presets := make(map[string][]string, len(defs))
	for _, name := range slices.Sorted(maps.Keys(defs)) {
		if !validPresetName(name) {
			return nil, fmt.Errorf("preset %q: a name is letters, digits, - and _", name)
		}
		parts := strings.Split(defs[name], "/")
		for _, part := range parts {
			if opt, _, _ := strings.Cut(part, ":"); aliases[opt] == "preset" {
				return nil, fmt.Errorf("preset %q: a preset cannot name presets (%s)", name, part)
			}
		}
		if _, _, err := d.parseOptions(parts, ""); err != nil {
			return nil, fmt.Errorf("preset %q: %w", name, err)
		}
		presets[name] = parts
	}
	return presets, nil
}

func validPresetName(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for _, r := range s {
		if !('a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9' || r == '-' || r == '_') {
			return false
		}
	}
	return true
}

// expandPresets is parts with the default preset first and every
// pr/preset option replaced by its presets' options, in order. Unknown
// names are reported on the option as written.
func expandPresets(parts []string, presets map[string][]string) ([]string, error) {
	out := slices.Clone(presets[defaultPreset])
	var errs params.Errors
	for _, part := range parts {
		name, args, _ := strings.Cut(part, ":")
		if aliases[name] != "preset" {
			out = append(out, part)
			continue
		}
		for _, p := range strings.Split(args, ":") {
			opts, ok := presets[p]
			if !ok {
				errs = append(errs, params.AsErrors(pathurl.Bad(name, "%s: there is no preset %s here (%s).", name, params.QuoteShort(p), presetList(presets)))...)
				break
			}
			out = append(out, opts...)
		}
	}
	if len(errs) > 0 {
		return nil, errs
	}
	return out, nil
}

// presetList names the presets for an error message.
func presetList(presets map[string][]string) string {
	if len(presets) == 0 {
		return "the site defines none"
	}
	return "the site defines " + strings.Join(slices.Sorted(maps.Keys(presets)), ", ")
}
