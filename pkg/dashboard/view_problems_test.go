package dashboard

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/serin-dev/serin/pkg/rolloutview"
	"github.com/serin-dev/serin/pkg/rolloutview/viewtest"
)

// The page gets each revision's problems, and an empty list (not null) for a revision
// without any.
func TestRevisionProblemsReachThePage(t *testing.T) {
	v := render(rolloutview.New(viewtest.CanaryImagePullBackOff().Owned()))
	if got := v.Revisions[0].Problems; len(got) != 1 || !strings.HasPrefix(got[0], "PodImagePullError: 2 pods") {
		t.Errorf("canary problems %q", got)
	}
	b, err := json.Marshal(v.Revisions[1])
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), `"problems":[]`) {
		t.Errorf("stable revision JSON %s lacks an empty problems list", b)
	}
}
