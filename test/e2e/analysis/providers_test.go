//go:build e2e

package analysis

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/serin-dev/serin/pkg/analysis/job"
	"github.com/serin-dev/serin/pkg/apis/rollouts/v1alpha1"
	"github.com/serin-dev/serin/test/e2e/framework"
)

// The web provider against a local HTTP server that wants a token the run reads from a
// Secret (secretKeyRef); the token never appears in the status.
func TestWebProvider(t *testing.T) {
	t.Parallel()
	e := framework.NewEnv(t)
	const token = "e2e-t0ken-1234"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer "+token {
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		fmt.Fprintf(w, `{"data":{"ratio":%s}}`, r.URL.Query().Get("ratio"))
	}))
	defer srv.Close()
	e.Given().Apply(`apiVersion: v1
kind: Secret
metadata:
  name: web-creds
stringData:
  token: ` + token + `
---
apiVersion: serin.dev/v1alpha1
kind: AnalysisTemplate
metadata:
  name: web-ratio
spec:
  args:
  - name: url
  - name: token
    valueFrom:
      secretKeyRef: {name: web-creds, key: token}
  metrics:
  - name: ratio
    successCondition: result >= 0.95
    provider:
      web:
        url: "{{args.url}}"
        timeoutSeconds: 5
        jsonPath: "{$.data.ratio}"
        headers:
        - {key: Authorization, value: "Bearer {{args.token}}"}
`)
	runFromTemplates(e, "web-good", []string{"web-ratio"}, args("url", srv.URL+"/q?ratio=0.97"))
	runFromTemplates(e, "web-bad", []string{"web-ratio"}, args("url", srv.URL+"/q?ratio=0.5"))
	good := waitPhase(e, "web-good", v1alpha1.AnalysisPhaseSuccessful)
	bad := waitPhase(e, "web-bad", v1alpha1.AnalysisPhaseFailed)

	m := metricResult(t, good, "ratio").Measurements[0]
	if m.Query != "GET "+srv.URL+"/q?ratio=0.97" || m.Value != "0.97" {
		t.Errorf("measurement %+v", m)
	}
	if !strings.Contains(bad.Status.Message, `metric "ratio" Failed: value 0.5: successCondition "result >= 0.95" is false`) {
		t.Errorf("message %q", bad.Status.Message)
	}
	for _, r := range []*v1alpha1.AnalysisRun{good, bad} {
		if strings.Contains(fmt.Sprintf("%+v", r.Status), token) {
			t.Errorf("run %s shows the Secret's token in its status", r.Name)
		}
	}
}

// jobTemplate runs a Job whose pod kwok completes: Succeeded, or Failed with exit code 1
// when labelled serin.dev/e2e-job-result=fail (test/cluster/stages).
const jobTemplate = `apiVersion: serin.dev/v1alpha1
kind: AnalysisTemplate
metadata:
  name: smoke
spec:
  args:
  - name: result
  metrics:
  - name: smoke
    provider:
      job:
        metadata:
          labels: {team: e2e}
        spec:
          backoffLimit: 0
          template:
            metadata:
              labels:
                serin.dev/e2e-job-result: "{{args.result}}"
            spec:
              restartPolicy: Never
              containers:
              - name: smoke
                image: smoke-test:1
`

// The job provider: a Job that completes makes the run Successful, one that fails makes
// it Failed; the Jobs are controlled by their run.
func TestJobProvider(t *testing.T) {
	t.Parallel()
	e := framework.NewEnv(t)
	e.Given().Apply(jobTemplate)
	pass := runFromTemplates(e, "job-pass", []string{"smoke"}, args("result", "pass"))
	runFromTemplates(e, "job-fail", []string{"smoke"}, args("result", "fail"))
	waitPhase(e, "job-pass", v1alpha1.AnalysisPhaseSuccessful)
	failed := waitPhase(e, "job-fail", v1alpha1.AnalysisPhaseFailed)
	if !strings.Contains(failed.Status.Message, `metric "smoke" Failed: value Failed: BackoffLimitExceeded`) {
		t.Errorf("message %q", failed.Status.Message)
	}
	j, err := framework.Current().Kube.BatchV1().Jobs(e.Namespace).Get(t.Context(), job.Name("job-pass", "smoke", 0), metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if ref := metav1.GetControllerOf(j); ref == nil || ref.UID != pass.UID || j.Labels["team"] != "e2e" || j.Labels[job.RunLabel] != "job-pass" {
		t.Errorf("job %s: controller %+v labels %v", j.Name, ref, j.Labels)
	}
}
