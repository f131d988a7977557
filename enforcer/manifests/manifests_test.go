package manifests

import (
	"reflect"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/labels"
)

const testImage = "netpolcheck.local/enforcer:dev"

func objectsOrFail(t *testing.T) (*corev1.ServiceAccount, *rbacv1.ClusterRole, *rbacv1.ClusterRoleBinding, *appsv1.DaemonSet) {
	t.Helper()
	objs, err := Objects(testImage)
	if err != nil {
		t.Fatalf("Objects: %v", err)
	}
	if len(objs) != 4 {
		t.Fatalf("%d objects, want 4", len(objs))
	}
	sa, ok1 := objs[0].(*corev1.ServiceAccount)
	role, ok2 := objs[1].(*rbacv1.ClusterRole)
	binding, ok3 := objs[2].(*rbacv1.ClusterRoleBinding)
	ds, ok4 := objs[3].(*appsv1.DaemonSet)
	if !ok1 || !ok2 || !ok3 || !ok4 {
		t.Fatalf("objects are %T %T %T %T, want ServiceAccount, ClusterRole, ClusterRoleBinding, DaemonSet", objs[0], objs[1], objs[2], objs[3])
	}
	return sa, role, binding, ds
}

func TestClusterRoleOnlyListsAndWatches(t *testing.T) {
	_, role, binding, _ := objectsOrFail(t)
	want := []rbacv1.PolicyRule{
		{APIGroups: []string{""}, Resources: []string{"pods", "namespaces"}, Verbs: []string{"list", "watch"}},
		{APIGroups: []string{"networking.k8s.io"}, Resources: []string{"networkpolicies"}, Verbs: []string{"list", "watch"}},
		{APIGroups: []string{"policy.networking.k8s.io"}, Resources: []string{"clusternetworkpolicies", "adminnetworkpolicies", "baselineadminnetworkpolicies"}, Verbs: []string{"list", "watch"}},
	}
	if !reflect.DeepEqual(role.Rules, want) {
		t.Errorf("ClusterRole rules = %+v, want %+v", role.Rules, want)
	}
	wantRef := rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "ClusterRole", Name: Name}
	wantSubjects := []rbacv1.Subject{{Kind: "ServiceAccount", Name: Name, Namespace: Namespace}}
	if binding.RoleRef != wantRef || !reflect.DeepEqual(binding.Subjects, wantSubjects) {
		t.Errorf("binding %+v to %+v, want %+v to %+v", binding.RoleRef, binding.Subjects, wantRef, wantSubjects)
	}
}

func TestDaemonSet(t *testing.T) {
	sa, _, _, ds := objectsOrFail(t)
	if sa.Name != Name || sa.Namespace != Namespace || ds.Name != Name || ds.Namespace != Namespace {
		t.Errorf("names %s/%s and %s/%s, want %s/%s", sa.Namespace, sa.Name, ds.Namespace, ds.Name, Namespace, Name)
	}
	pod := ds.Spec.Template.Spec
	if !pod.HostNetwork || pod.ServiceAccountName != Name {
		t.Errorf("hostNetwork %v, service account %q; want true, %q", pod.HostNetwork, pod.ServiceAccountName, Name)
	}
	wantTolerations := []corev1.Toleration{{Key: "node-role.kubernetes.io/control-plane", Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoSchedule}}
	if !reflect.DeepEqual(pod.Tolerations, wantTolerations) {
		t.Errorf("tolerations %+v, want %+v", pod.Tolerations, wantTolerations)
	}
	if got := ds.Spec.Selector.MatchLabels; !reflect.DeepEqual(got, ds.Spec.Template.Labels) {
		t.Errorf("selector %v does not match template labels %v", got, ds.Spec.Template.Labels)
	}
	if len(pod.Containers) != 1 {
		t.Fatalf("%d containers, want 1", len(pod.Containers))
	}
	c := pod.Containers[0]
	if c.Image != testImage || c.ImagePullPolicy != corev1.PullIfNotPresent {
		t.Errorf("image %q pulled %s, want %q pulled IfNotPresent", c.Image, c.ImagePullPolicy, testImage)
	}
	wantEnv := []corev1.EnvVar{{Name: "NODE_NAME", ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{FieldPath: "spec.nodeName"}}}}
	if !reflect.DeepEqual(c.Env, wantEnv) {
		t.Errorf("env %+v, want %+v", c.Env, wantEnv)
	}
	if p := c.ReadinessProbe; p == nil || p.HTTPGet == nil || p.HTTPGet.Path != "/readyz" || p.HTTPGet.Port.String() != "http" {
		t.Errorf("readiness probe %+v, want GET /readyz on port http", p)
	}
	if p := c.LivenessProbe; p == nil || p.HTTPGet == nil || p.HTTPGet.Path != "/healthz" {
		t.Errorf("liveness probe %+v, want GET /healthz", p)
	}
	if len(c.Ports) != 1 || c.Ports[0].Name != "http" || c.Ports[0].ContainerPort != Port {
		t.Errorf("ports %+v, want http on %d (Port, the daemon's --listen)", c.Ports, Port)
	}
	if sel, err := labels.Parse(PodSelector); err != nil || !sel.Matches(labels.Set(ds.Spec.Template.Labels)) {
		t.Errorf("PodSelector %q does not select the pods (labels %v): %v", PodSelector, ds.Spec.Template.Labels, err)
	}

	sc := c.SecurityContext
	if sc == nil || sc.Capabilities == nil {
		t.Fatalf("no security context with capabilities: %+v", sc)
	}
	if sc.Privileged != nil && *sc.Privileged {
		t.Errorf("privileged container")
	}
	wantCaps := &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}, Add: []corev1.Capability{"BPF", "NET_ADMIN", "PERFMON"}}
	if !reflect.DeepEqual(sc.Capabilities, wantCaps) {
		t.Errorf("capabilities %+v, want %+v", sc.Capabilities, wantCaps)
	}
	if sc.RunAsUser == nil || *sc.RunAsUser != 0 || sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem {
		t.Errorf("runAsUser %v readOnlyRootFilesystem %v, want 0 and true", sc.RunAsUser, sc.ReadOnlyRootFilesystem)
	}

	directory := corev1.HostPathDirectory
	wantVolumes := []corev1.Volume{
		{Name: "bpffs", VolumeSource: corev1.VolumeSource{HostPath: &corev1.HostPathVolumeSource{Path: "/sys/fs/bpf", Type: &directory}}},
		{Name: "proc", VolumeSource: corev1.VolumeSource{HostPath: &corev1.HostPathVolumeSource{Path: "/proc", Type: &directory}}},
	}
	if !reflect.DeepEqual(pod.Volumes, wantVolumes) {
		t.Errorf("volumes %+v, want %+v", pod.Volumes, wantVolumes)
	}
	wantMounts := []corev1.VolumeMount{{Name: "bpffs", MountPath: "/sys/fs/bpf"}, {Name: "proc", MountPath: "/host/proc", ReadOnly: true}}
	if !reflect.DeepEqual(c.VolumeMounts, wantMounts) {
		t.Errorf("mounts %+v, want %+v", c.VolumeMounts, wantMounts)
	}
}

func TestRender(t *testing.T) {
	if n := strings.Count(enforcerYAML, imagePlaceholder); n != 1 {
		t.Fatalf("the YAML has %d image placeholders, want 1", n)
	}
	tests := []struct {
		image string
		err   string
	}{
		{"netpolcheck.local/enforcer:dev", ""},
		{"registry.example:5000/team/enforcer@sha256:0123abcd", ""},
		{"", `render enforcer manifests: image "" is not an image reference`},
		{"enforcer\n  command: [sh]", `render enforcer manifests: image "enforcer\n  command: [sh]" is not an image reference`},
		{"enforcer # comment", `render enforcer manifests: image "enforcer # comment" is not an image reference`},
		{"Enforcer", `render enforcer manifests: image "Enforcer" is not an image reference`},
	}
	for _, tt := range tests {
		text, err := Render(tt.image)
		if tt.err != "" {
			if err == nil || err.Error() != tt.err {
				t.Errorf("Render(%q) error %v, want %q", tt.image, err, tt.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("Render(%q): %v", tt.image, err)
			continue
		}
		if strings.Contains(text, "IMAGE") || strings.Count(text, "image: "+tt.image+"\n") != 1 {
			t.Errorf("Render(%q) did not put the image in once:\n%s", tt.image, text)
		}
	}
}
