package dashboard

import (
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/sirupsen/logrus"
)

// Session is what GET /api/session tells the page about this server. The token is not
// in it: the page reads that from the served HTML.
type Session struct {
	ReadOnly  bool     `json:"readOnly"`
	Namespace string   `json:"namespace"` // "" when watching every namespace
	Context   string   `json:"context,omitempty"`
	Actions   []Action `json:"actions"`
}

// api serves the JSON endpoints.
type api struct {
	src     Source
	actor   Actor
	session Session
	log     *logrus.Entry
}

func (a *api) routes(mux *http.ServeMux) {
	mux.HandleFunc("GET /api/session", a.getSession)
	mux.HandleFunc("GET /api/rollouts", a.list)
	mux.HandleFunc("GET /api/rollouts/{namespace}/{name}", a.get)
	mux.HandleFunc("POST /api/rollouts/{namespace}/{name}/{action}", a.act)
}

func (a *api) getSession(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, a.session)
}

// list returns the views of every Rollout, or of ?namespace=.
func (a *api) list(w http.ResponseWriter, r *http.Request) {
	ns := r.URL.Query().Get("namespace")
	out := []json.RawMessage{}
	for _, e := range a.src.Snapshot() {
		if ns == "" || e.View.Namespace == ns {
			out = append(out, e.JSON)
		}
	}
	writeJSON(w, http.StatusOK, out)
}

func (a *api) get(w http.ResponseWriter, r *http.Request) {
	key := r.PathValue("namespace") + "/" + r.PathValue("name")
	for _, e := range a.src.Snapshot() {
		if e.View.Key == key {
			writeRaw(w, http.StatusOK, e.JSON)
			return
		}
	}
	writeError(w, http.StatusNotFound, fmt.Sprintf("rollout %s not found", key))
}

// act runs an action; the guard has checked Host, Origin, token and read-only mode.
func (a *api) act(w http.ResponseWriter, r *http.Request) {
	ns, name, action := r.PathValue("namespace"), r.PathValue("name"), Action(r.PathValue("action"))
	log := a.log.WithFields(logrus.Fields{"namespace": ns, "rollout": name, "action": action})
	if !knownAction(action) {
		writeError(w, http.StatusBadRequest, fmt.Sprintf("%s %q; one of %v", ErrUnknownAction, action, Actions))
		return
	}
	msg, err := a.actor.Act(r.Context(), ns, name, action)
	if err != nil {
		log.WithError(err).Warn("action failed")
		writeError(w, statusOf(err), err.Error())
		return
	}
	log.Info("action done")
	writeJSON(w, http.StatusOK, map[string]string{"message": msg})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	data, err := json.Marshal(v)
	if err != nil {
		writeError(w, http.StatusInternalServerError, err.Error())
		return
	}
	writeRaw(w, status, data)
}

func writeRaw(w http.ResponseWriter, status int, data []byte) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(data)
}

// writeError answers {"error": msg}: the page shows msg as it is.
func writeError(w http.ResponseWriter, status int, msg string) {
	data, _ := json.Marshal(map[string]string{"error": msg})
	writeRaw(w, status, data)
}
