package scenarios

import (
	"fmt"
	"maps"
	"slices"

	networkingv1 "k8s.io/api/networking/v1"
)

// Commit applies a resolved Change to the world. It refuses changes that do
// not fit the current world, which only happens when a Change is committed
// without being resolved against this State first.
func (st *State) Commit(c Change) error {
	switch c.Kind {
	case ApplyPolicy:
		if c.Policy == nil {
			return fmt.Errorf("commit %s: no policy", c.Kind)
		}
		if st.namespaceIndex(c.Policy.Namespace) < 0 {
			return fmt.Errorf("commit %s: namespace %q does not exist", c.Kind, c.Policy.Namespace)
		}
		st.policies[c.Policy.Namespace+"/"+c.Policy.Name] = c.Policy.DeepCopy()
	case DeletePolicy:
		if _, ok := st.policies[c.PolicyKey]; !ok {
			return fmt.Errorf("commit %s: policy %q does not exist", c.Kind, c.PolicyKey)
		}
		delete(st.policies, c.PolicyKey)
	case ApplyClusterPolicy:
		if c.ClusterPolicy == nil {
			return fmt.Errorf("commit %s: no policy", c.Kind)
		}
		st.clusterPolicies[ClusterPolicyKey(TieredKind(c.ClusterPolicy), c.ClusterPolicy.Name)] = c.ClusterPolicy.DeepCopy()
	case DeleteClusterPolicy:
		if _, exists := st.clusterPolicies[c.PolicyKey]; !exists {
			return fmt.Errorf("commit %s: policy %q does not exist", c.Kind, c.PolicyKey)
		}
		delete(st.clusterPolicies, c.PolicyKey)
	case LabelPod:
		i, err := st.committedPod(c)
		if err != nil {
			return err
		}
		st.pods[i].Labels = maps.Clone(c.Pod.Labels)
	case RemovePod:
		i, err := st.committedPod(c)
		if err != nil {
			return err
		}
		st.forgetPods(func(p Pod) bool { return p.ID() == c.Pod.ID() })
		st.pods = slices.Delete(st.pods, i, i+1)
	case AddPod:
		if c.Pod == nil {
			return fmt.Errorf("commit %s: no pod", c.Kind)
		}
		if st.namespaceIndex(c.Pod.Namespace) < 0 || st.podIndex(c.Pod.ID()) >= 0 {
			return fmt.Errorf("commit %s: pod %q cannot be added", c.Kind, c.Pod.ID())
		}
		st.addPod(*c.Pod)
	case LabelNamespace:
		i, err := st.committedNamespace(c)
		if err != nil {
			return err
		}
		st.namespaces[i].Labels = maps.Clone(c.Namespace.Labels)
	case AddNamespace:
		if c.Namespace == nil || st.namespaceIndex(c.Namespace.Name) >= 0 {
			return fmt.Errorf("commit %s: namespace cannot be added", c.Kind)
		}
		st.namespaces = append(st.namespaces, Namespace{Name: c.Namespace.Name, Labels: maps.Clone(c.Namespace.Labels)})
		st.subnet[c.Namespace.Name] = st.nextSubnet
		st.nextSubnet++
	case RemoveNamespace:
		i, err := st.committedNamespace(c)
		if err != nil {
			return err
		}
		name := c.Namespace.Name
		st.namespaces = slices.Delete(st.namespaces, i, i+1)
		delete(st.subnet, name)
		inNamespace := func(p Pod) bool { return p.Namespace == name }
		st.forgetPods(inNamespace)
		st.pods = slices.DeleteFunc(st.pods, inNamespace)
		maps.DeleteFunc(st.policies, func(_ string, p *networkingv1.NetworkPolicy) bool { return p.Namespace == name })
	default:
		return fmt.Errorf("commit: unknown change kind %q", c.Kind)
	}
	return nil
}

func (st *State) committedPod(c Change) (int, error) {
	if c.Pod == nil {
		return -1, fmt.Errorf("commit %s: no pod", c.Kind)
	}
	i := st.podIndex(c.Pod.ID())
	if i < 0 {
		return -1, fmt.Errorf("commit %s: pod %q does not exist", c.Kind, c.Pod.ID())
	}
	return i, nil
}

func (st *State) committedNamespace(c Change) (int, error) {
	if c.Namespace == nil {
		return -1, fmt.Errorf("commit %s: no namespace", c.Kind)
	}
	i := st.namespaceIndex(c.Namespace.Name)
	if i < 0 {
		return -1, fmt.Errorf("commit %s: namespace %q does not exist", c.Kind, c.Namespace.Name)
	}
	return i, nil
}
