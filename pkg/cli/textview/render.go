// Package textview writes a rolloutview.View as `kubectl serin get rollout` shows it: a
// header of the rollout's state and the tree revision → ReplicaSet → pods, with the
// AnalysisRuns of each revision and the latest measurement of each metric. It only lays
// out what the view says: every word about the rollout comes from pkg/rolloutview.
package textview

import (
	"fmt"
	"io"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/util/duration"

	"github.com/serin-dev/serin/pkg/rolloutview"
)

// Style decides how statuses look: icons always, ANSI colours only when Color (on a
// terminal).
type Style struct{ Color bool }

const (
	ansiReset  = "\x1b[0m"
	ansiRed    = "\x1b[31m"
	ansiGreen  = "\x1b[32m"
	ansiYellow = "\x1b[33m"
	ansiBlue   = "\x1b[36m"
	ansiDim    = "\x1b[2m"
)

var statusLook = map[string]struct{ icon, color string }{
	"Healthy":      {"✔", ansiGreen},
	"Ready":        {"✔", ansiGreen},
	"Successful":   {"✔", ansiGreen},
	"Succeeded":    {"✔", ansiGreen},
	"Progressing":  {"◐", ansiBlue},
	"Running":      {"◐", ansiBlue},
	"Pending":      {"◌", ansiYellow},
	"Paused":       {"‖", ansiYellow},
	"Inconclusive": {"?", ansiYellow},
	"NotReady":     {"✖", ansiRed},
	"Degraded":     {"✖", ansiRed},
	"Failed":       {"✖", ansiRed},
	"Error":        {"⚠", ansiRed},
	"Terminating":  {"◌", ansiDim},
	"Unknown":      {"?", ansiYellow},
}

// Status is a status with its icon, coloured when the style says so.
func (s Style) Status(status string) string {
	look, ok := statusLook[status]
	if !ok {
		return status
	}
	return s.paint(look.color, look.icon+" "+status)
}

func (s Style) paint(color, text string) string {
	if !s.Color || color == "" {
		return text
	}
	return color + text + ansiReset
}

// Render writes the header and the tree of v; ages are relative to now.
func Render(w io.Writer, v rolloutview.View, now time.Time, st Style) error {
	var b strings.Builder
	field := func(name, value string) { fmt.Fprintf(&b, "%-15s %s\n", name+":", value) }
	field("Name", v.Name)
	field("Namespace", v.Namespace)
	field("Status", st.Status(v.Status))
	if v.Message != "" {
		field("Message", v.Message)
	}
	field("Strategy", v.Strategy)
	if v.Step != "" {
		field("  Step", v.Step)
	}
	if v.SetWeight != nil {
		field("  SetWeight", fmt.Sprint(*v.SetWeight))
	}
	if v.ActualWeight != nil {
		field("  ActualWeight", fmt.Sprint(*v.ActualWeight))
	}
	if v.BlueGreen != nil {
		renderBlueGreen(field, v.BlueGreen, now)
	}
	stableRole, newRole := rolloutview.RoleStable, rolloutview.RoleCanary
	if v.BlueGreen != nil {
		newRole = newImageRole(v.Revisions)
	}
	images := ""
	for _, img := range v.StableImages {
		images += fmt.Sprintf("%s (%s)\n%16s", img, stableRole, "")
	}
	for _, img := range v.CanaryImages {
		images += fmt.Sprintf("%s (%s)\n%16s", img, newRole, "")
	}
	if images == "" {
		images = "-"
	}
	field("Images", strings.TrimSpace(images))
	r := v.Replicas
	field("Replicas", fmt.Sprintf("desired %d, current %d, updated %d, ready %d, available %d",
		r.Desired, r.Current, r.Updated, r.Ready, r.Available))
	b.WriteString("\n")
	renderTree(&b, v, now, st)
	_, err := io.WriteString(w, b.String())
	return err
}

type row struct{ tree, kind, status, age, info string }

func renderTree(b *strings.Builder, v rolloutview.View, now time.Time, st Style) {
	rows := []row{{tree: v.Name, kind: "Rollout", status: v.Status, age: age(v.Created, now)}}
	for i, rev := range v.Revisions {
		last := i == len(v.Revisions)-1
		branch, indent := "├─", "│  "
		if last {
			branch, indent = "└─", "   "
		}
		rows = append(rows, row{tree: branch + fmt.Sprintf(" revision %d", rev.Number), info: strings.Join(rev.Roles, ",")})
		for _, problem := range rev.Problems {
			// Why its pods do not become available, right under the revision.
			rows = append(rows, row{tree: indent + "⚠ failing", kind: "Problem", info: problem})
		}
		rs := rev.ReplicaSet
		children := len(rev.AnalysisRuns)
		rsBranch, rsIndent := "└─", "   "
		if children > 0 {
			rsBranch, rsIndent = "├─", "│  "
		}
		info := fmt.Sprintf("desired %d, ready %d, available %d", rs.Desired, rs.Ready, rs.Available)
		if rs.ScaleDown != "" {
			info += ", " + rs.ScaleDown
		}
		rows = append(rows, row{
			tree: indent + rsBranch + " " + rs.Name, kind: "ReplicaSet", status: rsStatus(rs), age: age(rs.Created, now), info: info,
		})
		for j, pod := range rev.Pods {
			pb := "├─"
			if j == len(rev.Pods)-1 {
				pb = "└─"
			}
			info := "ready " + pod.Ready
			if pod.Restarts > 0 {
				info += fmt.Sprintf(", restarts %d", pod.Restarts)
			}
			rows = append(rows, row{tree: indent + rsIndent + pb + " " + pod.Name, kind: "Pod", status: pod.Status, age: age(pod.Created, now), info: info})
		}
		for j, ar := range rev.AnalysisRuns {
			ab, ai := "├─", "│  "
			if j == len(rev.AnalysisRuns)-1 {
				ab, ai = "└─", "   "
			}
			info := ar.Message
			if ar.Type != "" {
				info = strings.TrimSuffix(ar.Type+": "+ar.Message, ": ")
			}
			rows = append(rows, row{tree: indent + ab + " " + ar.Name, kind: "AnalysisRun", status: ar.Phase, info: info})
			for k, m := range ar.Metrics {
				mb := "├─"
				if k == len(ar.Metrics)-1 {
					mb = "└─"
				}
				info := fmt.Sprintf("✔ %d ✖ %d", m.Successful, m.Failed)
				if m.LatestPhase != "" {
					info += fmt.Sprintf(", latest %s (%s)", m.LatestValue, m.LatestPhase)
				}
				rows = append(rows, row{tree: indent + ai + mb + " " + m.Name, kind: "Metric", status: m.Phase, info: info})
			}
		}
	}
	width := len("NAME")
	for _, r := range rows {
		width = max(width, runeLen(r.tree))
	}
	fmt.Fprintf(b, "%s  %-11s  %-14s  %-5s  %s\n", pad("NAME", width), "KIND", "STATUS", "AGE", "INFO")
	for _, r := range rows {
		status := ""
		if r.status != "" {
			status = st.Status(r.status)
			// pad by visible width: the colour codes take no room
			status += strings.Repeat(" ", max(0, 14-runeLen(st.plain(r.status))))
		} else {
			status = strings.Repeat(" ", 14)
		}
		line := fmt.Sprintf("%s  %-11s  %s  %-5s  %s", pad(r.tree, width), r.kind, status, r.age, r.info)
		b.WriteString(strings.TrimRight(line, " ") + "\n")
	}
}

func (s Style) plain(status string) string { return Style{}.Status(status) }

func rsStatus(rs rolloutview.ReplicaSet) string {
	switch {
	case rs.Desired == 0 && rs.Current == 0:
		return "ScaledDown"
	case rs.Available >= rs.Desired && rs.Current == rs.Desired:
		return "Healthy"
	default:
		return "Progressing"
	}
}

func age(t, now time.Time) string {
	if t.IsZero() {
		return ""
	}
	return duration.HumanDuration(now.Sub(t))
}

func runeLen(s string) int { return len([]rune(s)) }

func pad(s string, n int) string { return s + strings.Repeat(" ", max(0, n-runeLen(s))) }
