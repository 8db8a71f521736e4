package k8stest

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// imagesPerNode is about what a busy node reports: the kubelet lists up to
// 50 (--node-status-max-images), and images dominate a Node's size.
const imagesPerNode = 40

// commonImages run on every node (DaemonSets); the rest of a node's images
// come from a pool of workload images, a different slice on each node.
var commonImages = []string{
	"registry.k8s.io/pause:3.10",
	"registry.k8s.io/kube-proxy:v1.34.2",
	"registry.k8s.io/coredns/coredns:v1.12.1",
	"quay.io/cilium/cilium:v1.18.3",
	"quay.io/cilium/operator-generic:v1.18.3",
	"quay.io/prometheus/node-exporter:v1.9.1",
	"cr.fluentbit.io/fluent/fluent-bit:4.0.3",
	"registry.k8s.io/sig-storage/csi-node-driver-registrar:v2.14.0",
	"registry.k8s.io/sig-storage/livenessprobe:v2.16.0",
	"registry.k8s.io/ingress-nginx/controller:v1.13.1",
}

const workloadPool = 120

// KubeletNode is the Node a kubelet would register for n: the labels,
// annotations, capacity, conditions, node info, daemon endpoint and images
// of a real one (about 12 KB of JSON), with status.addresses from n.
// seed varies the node's images and identifiers.
func KubeletNode(n Node, seed int) *corev1.Node {
	node := &corev1.Node{
		ObjectMeta: metav1.ObjectMeta{
			Name: n.Name,
			Labels: map[string]string{
				"beta.kubernetes.io/arch":          "amd64",
				"beta.kubernetes.io/os":            "linux",
				"kubernetes.io/arch":               "amd64",
				"kubernetes.io/hostname":           n.Name,
				"kubernetes.io/os":                 "linux",
				"node.kubernetes.io/instance-type": "m6i.2xlarge",
				"topology.kubernetes.io/region":    "eu-west-1",
				"topology.kubernetes.io/zone":      fmt.Sprintf("eu-west-1%c", 'a'+seed%3),
			},
			Annotations: map[string]string{
				"node.alpha.kubernetes.io/ttl":                           "0",
				"volumes.kubernetes.io/controller-managed-attach-detach": "true",
				"csi.volume.kubernetes.io/nodeid":                        fmt.Sprintf(`{"ebs.csi.aws.com":"i-%017x"}`, seed),
			},
		},
		Spec: corev1.NodeSpec{ProviderID: fmt.Sprintf("aws:///eu-west-1%c/i-%017x", 'a'+seed%3, seed)},
	}
	for _, p := range n.PodCIDRs {
		node.Spec.PodCIDRs = append(node.Spec.PodCIDRs, p.String())
	}
	if len(node.Spec.PodCIDRs) > 0 {
		node.Spec.PodCIDR = node.Spec.PodCIDRs[0]
	}
	capacity := corev1.ResourceList{
		corev1.ResourceCPU:              resource.MustParse("8"),
		corev1.ResourceMemory:           resource.MustParse("32386524Ki"),
		corev1.ResourcePods:             resource.MustParse("110"),
		corev1.ResourceEphemeralStorage: resource.MustParse("104845292Ki"),
		"hugepages-1Gi":                 resource.MustParse("0"),
		"hugepages-2Mi":                 resource.MustParse("0"),
	}
	allocatable := capacity.DeepCopy()
	allocatable[corev1.ResourceCPU] = resource.MustParse("7910m")
	allocatable[corev1.ResourceMemory] = resource.MustParse("31369692Ki")
	allocatable[corev1.ResourceEphemeralStorage] = resource.MustParse("95551679646")
	now := metav1.NewTime(time.Now().Truncate(time.Second))
	booted := metav1.NewTime(now.Add(-72 * time.Hour))
	node.Status = corev1.NodeStatus{
		Capacity:    capacity,
		Allocatable: allocatable,
		Conditions: []corev1.NodeCondition{
			{Type: corev1.NodeMemoryPressure, Status: corev1.ConditionFalse, LastHeartbeatTime: now, LastTransitionTime: booted, Reason: "KubeletHasSufficientMemory", Message: "kubelet has sufficient memory available"},
			{Type: corev1.NodeDiskPressure, Status: corev1.ConditionFalse, LastHeartbeatTime: now, LastTransitionTime: booted, Reason: "KubeletHasNoDiskPressure", Message: "kubelet has no disk pressure"},
			{Type: corev1.NodePIDPressure, Status: corev1.ConditionFalse, LastHeartbeatTime: now, LastTransitionTime: booted, Reason: "KubeletHasSufficientPID", Message: "kubelet has sufficient PID available"},
			{Type: corev1.NodeReady, Status: corev1.ConditionTrue, LastHeartbeatTime: now, LastTransitionTime: booted, Reason: "KubeletReady", Message: "kubelet is posting ready status"},
		},
		Addresses:       addresses(n.Name, n.InternalIPs),
		DaemonEndpoints: corev1.NodeDaemonEndpoints{KubeletEndpoint: corev1.DaemonEndpoint{Port: 10250}},
		NodeInfo: corev1.NodeSystemInfo{
			MachineID:               digest("machine", seed)[:32],
			SystemUUID:              uuid(digest("system", seed)),
			BootID:                  uuid(digest("boot", seed)),
			KernelVersion:           "6.1.0-27-cloud-amd64",
			OSImage:                 "Debian GNU/Linux 12 (bookworm)",
			ContainerRuntimeVersion: "containerd://1.7.24",
			KubeletVersion:          "v1.34.2",
			OperatingSystem:         "linux",
			Architecture:            "amd64",
		},
		Images: images(seed),
	}
	return node
}

// images is a node's status.images: each image by digest and by tag, as
// the kubelet reports them.
func images(seed int) []corev1.ContainerImage {
	names := append([]string(nil), commonImages...)
	for j := 0; len(names) < imagesPerNode; j++ {
		w := (seed*7 + j) % workloadPool
		names = append(names, fmt.Sprintf("123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop/service-%03d:v2.%d.%d", w, w%9, w%4))
	}
	imgs := make([]corev1.ContainerImage, len(names))
	for i, name := range names {
		repo := name[:lastColon(name)]
		d := digest(name, 0)
		imgs[i] = corev1.ContainerImage{
			Names:     []string{repo + "@sha256:" + d, name},
			SizeBytes: int64(5_000_000 + int(d[0])*3_000_000 + i*1_000_003),
		}
	}
	return imgs
}

func lastColon(s string) int {
	for i := len(s) - 1; i >= 0; i-- {
		if s[i] == ':' {
			return i
		}
	}
	return len(s)
}

// digest is a stable 64-hex-digit string for (s, n).
func digest(s string, n int) string {
	h := sha256.Sum256([]byte(fmt.Sprintf("%s/%d", s, n)))
	return hex.EncodeToString(h[:])
}

// uuid formats 32 hex digits as a UUID.
func uuid(h string) string {
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

// LargeNode is KubeletNode grown as a hostile (or a very busy) cluster's
// Nodes can be: images images in status.images and an annotation of
// annotation bytes. 4500 images and 250 KB make about 1.7 MB of JSON
// (1 MB of protobuf, as etcd keeps it; it takes 1.5 MiB at most).
func LargeNode(n Node, seed, images, annotation int) *corev1.Node {
	node := KubeletNode(n, seed)
	node.Annotations["example.com/large"] = strings.Repeat("x", annotation)
	for i := len(node.Status.Images); i < images; i++ {
		name := fmt.Sprintf("123456789012.dkr.ecr.eu-west-1.amazonaws.com/batch/job-%05d:v1.%d", i, seed)
		node.Status.Images = append(node.Status.Images, corev1.ContainerImage{
			Names:     []string{name[:lastColon(name)] + "@sha256:" + digest(name, seed), name},
			SizeBytes: int64(1_000_000 + i),
		})
	}
	return node
}
