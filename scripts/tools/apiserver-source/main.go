// Knative Eventing's ApiServerSource receive adapter (the program its controller runs for each
// ApiServerSource), built unchanged from knative.dev/eventing for the tests: it watches the
// resources K_SOURCE_CONFIG names on the API server of $KUBECONFIG and sends each change to K_SINK
// as a CloudEvent, exactly as in a cluster. The one difference from the upstream main is that the
// health-probe server (a fixed :8080 on every address) is off: the tests bind loopback only.
package main

import (
	filteredFactory "knative.dev/pkg/client/injection/kube/informers/factory/filtered"
	"knative.dev/pkg/signals"

	"knative.dev/eventing/pkg/adapter/apiserver"
	adapter "knative.dev/eventing/pkg/adapter/v2"
	"knative.dev/eventing/pkg/auth"
	"knative.dev/eventing/pkg/eventingtls"
)

func main() {
	ctx := signals.NewContext()
	ctx = adapter.WithInjectorEnabled(ctx)
	ctx = adapter.WithHealthProbesDisabled(ctx)
	ctx = filteredFactory.WithSelectors(ctx, auth.OIDCLabelSelector, eventingtls.TrustBundleLabelSelector)
	adapter.MainWithContext(ctx, "apiserversource", apiserver.NewEnvConfig, apiserver.NewAdapter)
}
