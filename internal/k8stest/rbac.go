package k8stest

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	authzv1 "k8s.io/api/authorization/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/client-go/kubernetes/scheme"
)

// ApplyRBAC creates or updates the ClusterRoles and ClusterRoleBindings in
// a YAML file (documents separated by ---), such as examples/rbac.yaml,
// with the admin client; any other kind fails the test. It returns once
// the API server's authorizer grants each bound subject the first rule of
// its role: RBAC reaches the authorizer through a watch, a moment after
// the write.
func (c *Cluster) ApplyRBAC(t testing.TB, path string) {
	t.Helper()
	if err := c.applyRBAC(path); err != nil {
		t.Fatalf("applying %s: %v", path, err)
	}
}

func (c *Cluster) applyRBAC(path string) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	ctx := context.Background()
	rbac := c.admin.RbacV1()
	roles := map[string]*rbacv1.ClusterRole{}
	var bindings []*rbacv1.ClusterRoleBinding
	r := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(data)))
	for doc := 1; ; doc++ {
		raw, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return fmt.Errorf("document %d: %w", doc, err)
		}
		if len(bytes.TrimSpace(raw)) == 0 {
			continue
		}
		obj, gvk, err := scheme.Codecs.UniversalDeserializer().Decode(raw, nil, nil)
		if err != nil {
			return fmt.Errorf("document %d: %w", doc, err)
		}
		switch o := obj.(type) {
		case *rbacv1.ClusterRole:
			err = upsert(ctx, o, rbac.ClusterRoles().Create, rbac.ClusterRoles().Get, rbac.ClusterRoles().Update)
			roles[o.Name] = o
		case *rbacv1.ClusterRoleBinding:
			err = upsert(ctx, o, rbac.ClusterRoleBindings().Create, rbac.ClusterRoleBindings().Get, rbac.ClusterRoleBindings().Update)
			bindings = append(bindings, o)
		default:
			err = fmt.Errorf("kind %s: only ClusterRole and ClusterRoleBinding are applied", gvk.Kind)
		}
		if err != nil {
			return fmt.Errorf("document %d (%s): %w", doc, filepath.Base(path), err)
		}
	}
	for _, b := range bindings {
		if err := c.waitGranted(ctx, b, roles[b.RoleRef.Name]); err != nil {
			return fmt.Errorf("ClusterRoleBinding %s: %w", b.Name, err)
		}
	}
	return nil
}

// object is what upsert needs of a ClusterRole or ClusterRoleBinding.
type object interface {
	GetName() string
	SetResourceVersion(string)
	GetResourceVersion() string
}

// upsert creates o or, if it exists, replaces it (kubectl apply without
// the field merging).
func upsert[T object](ctx context.Context, o T,
	create func(context.Context, T, metav1.CreateOptions) (T, error),
	get func(context.Context, string, metav1.GetOptions) (T, error),
	update func(context.Context, T, metav1.UpdateOptions) (T, error),
) error {
	_, err := create(ctx, o, metav1.CreateOptions{})
	if !apierrors.IsAlreadyExists(err) {
		return err
	}
	cur, err := get(ctx, o.GetName(), metav1.GetOptions{})
	if err != nil {
		return err
	}
	o.SetResourceVersion(cur.GetResourceVersion())
	_, err = update(ctx, o, metav1.UpdateOptions{})
	return err
}

// waitGranted asks the authorizer (SubjectAccessReview) whether each
// subject of b may use the first rule of role, until it may.
func (c *Cluster) waitGranted(ctx context.Context, b *rbacv1.ClusterRoleBinding, role *rbacv1.ClusterRole) error {
	if role == nil {
		cr, err := c.admin.RbacV1().ClusterRoles().Get(ctx, b.RoleRef.Name, metav1.GetOptions{})
		if err != nil {
			return err
		}
		role = cr
	}
	if len(role.Rules) == 0 || len(role.Rules[0].Verbs) == 0 || len(role.Rules[0].Resources) == 0 {
		return nil // nothing to be granted
	}
	rule := role.Rules[0]
	attrs := &authzv1.ResourceAttributes{Verb: rule.Verbs[0], Resource: rule.Resources[0]}
	if len(rule.APIGroups) > 0 {
		attrs.Group = rule.APIGroups[0]
	}
	for _, s := range b.Subjects {
		spec := authzv1.SubjectAccessReviewSpec{ResourceAttributes: attrs}
		switch s.Kind {
		case rbacv1.UserKind:
			spec.User = s.Name
		case rbacv1.GroupKind:
			spec.Groups = []string{s.Name}
		case rbacv1.ServiceAccountKind:
			spec.User = "system:serviceaccount:" + s.Namespace + ":" + s.Name
		}
		deadline := time.Now().Add(30 * time.Second)
		for {
			r, err := c.admin.AuthorizationV1().SubjectAccessReviews().Create(ctx,
				&authzv1.SubjectAccessReview{Spec: spec}, metav1.CreateOptions{})
			if err != nil {
				return err
			}
			if r.Status.Allowed {
				break
			}
			if time.Now().After(deadline) {
				return fmt.Errorf("%s %s still may not %s %s after 30 s: %s", s.Kind, s.Name, attrs.Verb, attrs.Resource, r.Status.Reason)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	return nil
}

// RepoPath is the path of a file of this repository (e.g.
// "examples/rbac.yaml"), found from the test's working directory (its
// package directory) by walking up to go.mod.
func RepoPath(t testing.TB, rel string) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return filepath.Join(dir, rel)
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatalf("finding %s: no go.mod above the working directory", rel)
		}
		dir = parent
	}
}

// PodroutesKubeconfig applies the repository's examples/rbac.yaml and
// returns a kubeconfig of the podroutes user it binds: what an operator
// gives podroutes, with exactly those rights.
func (c *Cluster) PodroutesKubeconfig(t testing.TB) string {
	t.Helper()
	c.ApplyRBAC(t, RepoPath(t, "examples/rbac.yaml"))
	return c.Kubeconfig(t, c.Tokens.Podroutes)
}
