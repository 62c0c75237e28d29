package monitor

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// Write is one write request kube-apiserver's audit log recorded (test/cluster's
// Options.Audit turns it on): who sent it, when it arrived, what it wrote and how the
// server answered. A write refused before it was sent (by the controller's own fence)
// never reaches the log.
type Write struct {
	Received  time.Time // requestReceivedTimestamp, the API server's clock (microseconds)
	UserAgent string
	Verb      string // create, update, patch, delete, deletecollection
	Resource  string // e.g. "replicasets", or "replicasets/status" for a subresource
	Namespace string
	Name      string
	Code      int   // the HTTP status of the answer
	RV        int64 // the resourceVersion the write produced, when its response was kept
}

// Succeeded reports whether the server applied the write.
func (w Write) Succeeded() bool { return w.Code >= 200 && w.Code < 300 }

func (w Write) String() string {
	return fmt.Sprintf("%s %s %s %s/%s → %d by %q", w.Received.Format("15:04:05.000000"), w.Verb, w.Resource, w.Namespace, w.Name, w.Code, w.UserAgent)
}

// auditEvent is the part of an audit.k8s.io/v1 Event a Write needs.
type auditEvent struct {
	Stage     string `json:"stage"`
	Verb      string `json:"verb"`
	UserAgent string `json:"userAgent"`
	ObjectRef *struct {
		Resource    string `json:"resource"`
		Subresource string `json:"subresource"`
		Namespace   string `json:"namespace"`
		Name        string `json:"name"`
	} `json:"objectRef"`
	ResponseStatus *struct {
		Code int `json:"code"`
	} `json:"responseStatus"`
	ResponseObject *struct {
		Metadata struct {
			Name            string `json:"name"`
			ResourceVersion string `json:"resourceVersion"`
		} `json:"metadata"`
	} `json:"responseObject"`
	RequestReceived time.Time `json:"requestReceivedTimestamp"`
}

var writeVerbs = map[string]bool{"create": true, "update": true, "patch": true, "delete": true, "deletecollection": true}

// ReadAudit reads the writes of an audit log, in the order the server finished them.
func ReadAudit(path string) ([]Write, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []Write
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 1<<20), 64<<20)
	for line := 1; sc.Scan(); line++ {
		var ev auditEvent
		if err := json.Unmarshal(sc.Bytes(), &ev); err != nil {
			return nil, fmt.Errorf("%s:%d: %w", path, line, err)
		}
		if ev.Stage != "ResponseComplete" || !writeVerbs[ev.Verb] || ev.ObjectRef == nil {
			continue
		}
		w := Write{Received: ev.RequestReceived, UserAgent: ev.UserAgent, Verb: ev.Verb, Resource: ev.ObjectRef.Resource,
			Namespace: ev.ObjectRef.Namespace, Name: ev.ObjectRef.Name}
		if ev.ObjectRef.Subresource != "" {
			w.Resource += "/" + ev.ObjectRef.Subresource
		}
		if ev.ResponseStatus != nil {
			w.Code = ev.ResponseStatus.Code
		}
		if ro := ev.ResponseObject; ro != nil && w.Succeeded() {
			w.RV, _ = strconv.ParseInt(ro.Metadata.ResourceVersion, 10, 64)
			if w.Name == "" {
				w.Name = ro.Metadata.Name // a create names the object in its response
			}
		}
		out = append(out, w)
	}
	return out, sc.Err()
}

// Attribute sets each event's Writer to the user agent of the write that produced its
// resourceVersion (one etcd revision, one write), where the audit log kept the response.
// It returns how many events it attributed.
func Attribute(events []Event, writes []Write) int {
	by := map[int64]string{}
	for _, w := range writes {
		if w.RV != 0 {
			by[w.RV] = w.UserAgent
		}
	}
	n := 0
	for i := range events {
		if ua, ok := by[events[i].RV()]; ok {
			events[i].Writer = ua
			n++
		}
	}
	return n
}

// WritesBy keeps the writes whose user agent is agent or starts with agent + "/".
func WritesBy(writes []Write, agent string) []Write {
	var out []Write
	for _, w := range writes {
		if w.UserAgent == agent || strings.HasPrefix(w.UserAgent, agent+"/") {
			out = append(out, w)
		}
	}
	return out
}
