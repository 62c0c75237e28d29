// Package replicaset holds the pure arithmetic and naming of the ReplicaSets a Rollout
// owns: the pod template hash that names each revision, and whether their pods are
// ready.
package replicaset

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"hash/fnv"
	"strconv"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/rand"
)

// PodTemplateHash names a revision: FNV-32a over the template's canonical JSON, then the
// collision count, encoded with the alphabet Kubernetes uses for generated names.
//
// The canonical form sorts keys and drops nulls and empty objects, arrays and strings,
// so the hash depends only on what the template says. Unlike hashing the Go struct, it
// does not change when a Kubernetes release adds a field to PodSpec, and an upgrade of
// Serin never re-rolls every workload. Its values are pinned in hash_test.go.
func PodTemplateHash(template *corev1.PodTemplateSpec, collisionCount *int32) string {
	h := fnv.New32a()
	h.Write(canonicalJSON(template))
	if collisionCount != nil {
		var b [4]byte
		binary.LittleEndian.PutUint32(b[:], uint32(*collisionCount))
		h.Write(b[:])
	}
	return rand.SafeEncodeString(strconv.FormatUint(uint64(h.Sum32()), 10))
}

// TemplateDigest is the SHA-256, in hex, of the template's canonical JSON. The controller
// records it on each ReplicaSet it creates: the apiserver fills defaults into a
// ReplicaSet's pod template (and not into a Rollout's), so comparing the templates
// themselves would see a difference where there is none. Two templates with the same
// PodTemplateHash and different digests are a real hash collision.
func TemplateDigest(template *corev1.PodTemplateSpec) string {
	sum := sha256.Sum256(canonicalJSON(template))
	return hex.EncodeToString(sum[:])
}

func canonicalJSON(template *corev1.PodTemplateSpec) []byte {
	raw, err := json.Marshal(template)
	if err != nil {
		// A PodTemplateSpec always marshals; failing here is a programming error.
		panic(err)
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber() // keep numbers as written: no float rounding
	var v any
	if err := dec.Decode(&v); err != nil {
		panic(err)
	}
	out, err := json.Marshal(prune(v)) // encoding/json sorts map keys
	if err != nil {
		panic(err)
	}
	return out
}

// prune drops nulls and empty values, recursively; it returns nil for a value that is
// empty after pruning.
func prune(v any) any {
	switch v := v.(type) {
	case map[string]any:
		for k, child := range v {
			if p := prune(child); p == nil {
				delete(v, k)
			} else {
				v[k] = p
			}
		}
		if len(v) == 0 {
			return nil
		}
		return v
	case []any:
		if len(v) == 0 {
			return nil
		}
		for i, child := range v {
			if p := prune(child); p != nil {
				v[i] = p
			} else {
				// Keep positions in lists: an empty element still counts.
				v[i] = map[string]any{}
			}
		}
		return v
	case string:
		if v == "" {
			return nil
		}
		return v
	case nil:
		return nil
	}
	return v
}
