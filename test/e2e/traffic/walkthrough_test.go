//go:build e2e

package traffic

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/serin-dev/serin/test/e2e/framework"
)

// threePauses is examples/canary-nginx's steps with every pause indefinite, so the test
// measures at each weight for as long as it needs.
const threePauses = `      - setWeight: 20
      - pause: {}
      - setWeight: 50
      - pause: {}
      - setWeight: 80
      - pause: {}
`

// shortDelays keeps the replaced pods for 3 s after a promotion or an abort (the example
// keeps them 30 s), longer than Traefik takes to drop them.
const shortDelays = "      scaleDownDelaySeconds: 3\n      abortScaleDownDelaySeconds: 3\n"

// The canary-nginx walkthrough under real requests: at each setWeight the canary answers
// a share of 1,000 requests whose 99.9 % Wilson interval holds the weight; after the
// promotion every request is answered by the new revision (through web-stable), and
// after an abort by the old one.
func TestCanaryNGINXWalkthrough(t *testing.T) {
	t.Parallel()
	e := framework.NewEnv(t)
	r := newRoute(e)
	e.Given().Apply(app(r.host, "web:1", 4, shortDelays, threePauses))
	v1 := healthyOn(e).Status.StableRS
	burst := r.config(1000)
	r.waitOnly(burst, v1)

	e.SetImage("web", "web:2")
	v2 := atPause(e, 1).Status.CurrentPodHash
	for i, w := range []int{20, 50, 80} {
		if i > 0 {
			serin(e, "promote", "web")
			atPause(e, int32(2*i+1))
		}
		r.waitWeight(w)
		share(t, fmt.Sprintf("setWeight %d", w), r.run(burst), v2, w)
	}

	serin(e, "promote", "web")
	if got := healthyOn(e).Status.StableRS; got != v2 {
		t.Fatalf("promoted: stable revision %s, want %s", got, v2)
	}
	r.waitOnly(burst, v2)
	all(t, "after the promotion", r.run(burst), v2)

	e.SetImage("web", "web:3")
	atPause(e, 1)
	r.waitWeight(20)
	serin(e, "abort", "web")
	r.waitWeight(0)
	r.waitOnly(burst, v2)
	all(t, "after the abort", r.run(burst), v2)
}

// Header and cookie routes: with the route in place, every request carrying the header
// (X-Canary: yes) or the cookie (canary=always) reaches the canary, at weight 0 and at
// weight 20; requests without follow the weight (none at 0, the 99.9 % interval at 20).
func TestHeaderAndCookieRoutes(t *testing.T) {
	t.Parallel()
	e := framework.NewEnv(t)
	r := newRoute(e)
	e.Given().Apply(app(r.host, "web:1", 4, "        managedRoutes: [{name: beta}]\n"+shortDelays, `      - setCanaryScale: {replicas: 1}
      - setHeaderRoute:
          name: beta
          match:
          - headerName: X-Canary
            headerValue: {exact: "yes"}
          - cookieName: canary
      - pause: {}
      - setWeight: 20
      - pause: {}
`))
	v1 := healthyOn(e).Status.StableRS
	plain := r.config(1000)
	r.waitOnly(plain, v1)

	e.SetImage("web", "web:2")
	v2 := atPause(e, 2).Status.CurrentPodHash
	header := r.config(300)
	header.Header = http.Header{"X-Canary": {"yes"}}
	cookie := r.config(300)
	cookie.Cookies = []*http.Cookie{{Name: "canary", Value: "always"}}
	r.waitOnly(header, v2) // Traefik has the header route
	all(t, "weight 0, header", r.run(header), v2)
	all(t, "weight 0, cookie", r.run(cookie), v2)
	all(t, "weight 0, neither", r.run(r.config(300)), v1)

	serin(e, "promote", "web")
	atPause(e, 4)
	r.waitWeight(20)
	all(t, "weight 20, header", r.run(header), v2)
	all(t, "weight 20, cookie", r.run(cookie), v2)
	share(t, "weight 20, neither header nor cookie", r.run(plain), v2, 20)
	wrong := r.config(300)
	wrong.Header = http.Header{"X-Canary": {"no"}}
	share(t, "weight 20, header X-Canary: no", r.run(wrong), v2, 20)
}
