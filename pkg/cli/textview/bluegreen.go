package textview

import (
	"fmt"
	"strings"
	"time"

	"github.com/serin-dev/serin/pkg/rolloutview"
)

// renderBlueGreen writes the blue-green lines of the header.
func renderBlueGreen(field func(name, value string), bg *rolloutview.BlueGreen, now time.Time) {
	field("  Active", targetText(bg.Active))
	if bg.Preview != nil {
		field("  Preview", targetText(*bg.Preview))
	}
	for _, p := range bg.Pauses {
		text := p.Reason
		if a := age(p.Since, now); a != "" {
			text += " (for " + a + ")"
		}
		field("  Paused", text)
	}
	field("  Promotion", bg.Promotion)
}

func targetText(t rolloutview.ServiceTarget) string {
	switch {
	case t.Selector == "":
		return t.Service + " → (selector not set yet)"
	case t.Revision == 0:
		return fmt.Sprintf("%s → %s (no ReplicaSet of this rollout)", t.Service, t.Selector)
	}
	return fmt.Sprintf("%s → revision %d (%s)", t.Service, t.Revision, t.Selector)
}

// newImageRole labels a blue-green rollout's new images with the roles of the new
// revision ("preview", "active, preview", or "new" while no Service selects it).
func newImageRole(revs []rolloutview.Revision) string {
	for _, r := range revs {
		if r.Role == rolloutview.RoleNew && len(r.Roles) > 0 {
			return strings.Join(r.Roles, ", ")
		}
	}
	return rolloutview.RoleNew
}
