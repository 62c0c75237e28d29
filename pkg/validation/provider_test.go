package validation

import (
	"testing"

	"github.com/serin-dev/serin/pkg/analysis/provider"
)

// The message (shared with the CRD's CEL rule) names every provider the registry knows:
// a new provider needs the rule and this message changed with it.
func TestOneProviderMessageNamesEveryProvider(t *testing.T) {
	if want := "metrics[].provider must set exactly one of " + provider.Names(); MsgOneProvider != want {
		t.Errorf("MsgOneProvider = %q, want %q", MsgOneProvider, want)
	}
}
