package fakeapi

import (
	"context"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes/fake"
)

func TestEnforceResourceVersions(t *testing.T) {
	ctx := context.Background()
	c := fake.NewClientset(&corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "shop", ResourceVersion: "7"}})
	EnforceResourceVersions(c, "services")
	services := c.CoreV1().Services("shop")
	stale, err := services.Get(ctx, "web", metav1.GetOptions{})
	if err != nil || stale.ResourceVersion != "7" {
		t.Fatalf("get = %v, %v; want resourceVersion 7", stale, err)
	}
	// Another writer changes it.
	fresh, err := services.Patch(ctx, "web", types.MergePatchType, []byte(`{"metadata":{"resourceVersion":"7"},"spec":{"selector":{"a":"1"}}}`), metav1.PatchOptions{})
	if err != nil || fresh.ResourceVersion == "7" {
		t.Fatalf("patch at the current resourceVersion = %v, %v; want it applied under a new one", fresh, err)
	}
	stale.Spec.Selector = map[string]string{"a": "2"}
	if _, err := services.Update(ctx, stale, metav1.UpdateOptions{}); !apierrors.IsConflict(err) {
		t.Errorf("update at a stale resourceVersion = %v, want a conflict", err)
	}
	if _, err := services.Patch(ctx, "web", types.MergePatchType, []byte(`{"metadata":{"resourceVersion":"7"},"spec":{"selector":{"a":"2"}}}`), metav1.PatchOptions{}); !apierrors.IsConflict(err) {
		t.Errorf("patch at a stale resourceVersion = %v, want a conflict", err)
	}
	if _, err := services.Patch(ctx, "web", types.MergePatchType, []byte(`{"spec":{"selector":{"a":"3"}}}`), metav1.PatchOptions{}); err != nil {
		t.Errorf("patch without a resourceVersion = %v, want it applied", err)
	}
	fresh.Spec.Selector = map[string]string{"a": "4"}
	if _, err := services.Update(ctx, fresh, metav1.UpdateOptions{}); !apierrors.IsConflict(err) {
		t.Errorf("update at the resourceVersion before the last patch = %v, want a conflict", err)
	}
	got, err := services.Get(ctx, "web", metav1.GetOptions{})
	if err != nil || got.Spec.Selector["a"] != "3" {
		t.Errorf("stored selector = %v (%v), want a=3", got.Spec.Selector, err)
	}
}
