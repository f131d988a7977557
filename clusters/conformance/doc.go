// Package conformance is the built-in library as a Ginkgo v2 suite, so CNI
// projects can run netpolcheck the way they run Kubernetes e2e:
//
//	go test -c -o netpolcheck.test ./clusters/conformance
//	./netpolcheck.test --kubeconfig ~/.kube/config \
//	    --ginkgo.label-filter 'egress && !sctp' --ginkgo.junit-report junit.xml
//
// Each scenario is an Ordered container labelled with the scenario's tags;
// each of its steps is one spec. A failing step shows the expected, observed
// and comparison grids. Without --kubeconfig (or KUBECONFIG) the suite runs on
// the local cluster with the reference enforcer.
package conformance
