package validation

import (
	"regexp"
	"strconv"
	"strings"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/serin-dev/serin/pkg/apis/rollouts/v1alpha1"
	routespec "github.com/serin-dev/serin/pkg/trafficrouting/spec"
)

// objectValue leaves the value out of an error about a whole object, as the apiserver
// does for a CEL rule: "spec.strategy: Invalid value: <message>".
var objectValue = field.OmitValueType{}

// Rollout returns every problem in a Rollout's spec, with the field it concerns.
func Rollout(ro *v1alpha1.Rollout) field.ErrorList {
	spec := field.NewPath("spec")
	s := &ro.Spec
	var errs field.ErrorList

	errs = append(errs, nonNegative(spec.Child("replicas"), s.Replicas)...)
	errs = append(errs, nonNegative(spec.Child("revisionHistoryLimit"), s.RevisionHistoryLimit)...)
	if s.MinReadySeconds < 0 {
		errs = append(errs, field.Invalid(spec.Child("minReadySeconds"), s.MinReadySeconds, MsgNonNegative))
	}
	if s.ProgressDeadlineSeconds != nil && *s.ProgressDeadlineSeconds <= s.MinReadySeconds {
		errs = append(errs, field.Invalid(spec.Child("progressDeadlineSeconds"), *s.ProgressDeadlineSeconds, MsgProgressDeadline))
	}
	errs = append(errs, failFast(spec.Child("failFast"), s.FailFast)...)
	errs = append(errs, selector(spec, s)...)
	if len(s.Template.Spec.Containers) == 0 {
		errs = append(errs, field.Required(spec.Child("template", "spec", "containers"), MsgContainersRequired))
	}

	strategy := spec.Child("strategy")
	switch {
	case (s.Strategy.Canary == nil) == (s.Strategy.BlueGreen == nil):
		errs = append(errs, field.Invalid(strategy, objectValue, MsgOneStrategy))
	case s.Strategy.Canary != nil:
		errs = append(errs, canary(strategy.Child("canary"), s.Strategy.Canary)...)
	default:
		errs = append(errs, blueGreen(strategy.Child("blueGreen"), s.Strategy.BlueGreen)...)
	}
	return errs
}

func selector(spec *field.Path, s *v1alpha1.RolloutSpec) field.ErrorList {
	p := spec.Child("selector")
	if s.Selector == nil {
		return field.ErrorList{field.Required(p, MsgSelectorRequired)}
	}
	if len(s.Selector.MatchLabels) == 0 && len(s.Selector.MatchExpressions) == 0 {
		return field.ErrorList{field.Invalid(p, objectValue, MsgSelectorEmpty)}
	}
	for k, v := range s.Selector.MatchLabels {
		if s.Template.Labels[k] != v {
			return field.ErrorList{field.Invalid(p, objectValue, MsgSelectorLabels)}
		}
	}
	sel, err := metav1.LabelSelectorAsSelector(s.Selector)
	if err != nil {
		return field.ErrorList{field.Invalid(p, objectValue, err.Error())}
	}
	if !sel.Matches(labels.Set(s.Template.Labels)) {
		return field.ErrorList{field.Invalid(p, objectValue, MsgSelectorTemplate)}
	}
	return nil
}

func canary(p *field.Path, c *v1alpha1.CanaryStrategy) field.ErrorList {
	var errs field.ErrorList
	tr := c.TrafficRouting
	if tr != nil && (c.CanaryService == "" || c.StableService == "") {
		errs = append(errs, field.Invalid(p, objectValue, MsgCanaryServicesRequired))
	}
	if c.CanaryService != "" && c.CanaryService == c.StableService {
		errs = append(errs, field.Invalid(p.Child("canaryService"), c.CanaryService, MsgCanaryServicesDiffer))
	}
	errs = append(errs, intOrPercent(p.Child("maxSurge"), c.MaxSurge, MsgCanaryMaxSurge)...)
	errs = append(errs, intOrPercent(p.Child("maxUnavailable"), c.MaxUnavailable, MsgCanaryMaxUnavailable)...)
	if isZero(c.MaxSurge) && isZero(c.MaxUnavailable) {
		errs = append(errs, field.Invalid(p, objectValue, MsgSurgeUnavailableZero))
	}
	for _, f := range []struct {
		name string
		v    *int32
	}{{"scaleDownDelaySeconds", c.ScaleDownDelaySeconds}, {"scaleDownDelayRevisionLimit", c.ScaleDownDelayRevisionLimit}, {"abortScaleDownDelaySeconds", c.AbortScaleDownDelaySeconds}} {
		errs = append(errs, nonNegative(p.Child(f.name), f.v)...)
	}
	if tr != nil {
		errs = append(errs, trafficRouting(p.Child("trafficRouting"), tr)...)
	}
	maxWeight := int32(100)
	if tr != nil && tr.MaxTrafficWeight != nil && *tr.MaxTrafficWeight > 0 {
		maxWeight = *tr.MaxTrafficWeight
	}
	for i := range c.Steps {
		errs = append(errs, step(p.Child("steps").Index(i), &c.Steps[i], tr, maxWeight)...)
	}
	if c.Analysis != nil {
		ap := p.Child("analysis")
		errs = append(errs, rolloutAnalysis(ap, &c.Analysis.RolloutAnalysis)...)
		if ss := c.Analysis.StartingStep; ss != nil && (*ss < 0 || (len(c.Steps) > 0 && int(*ss) >= len(c.Steps))) {
			errs = append(errs, field.Invalid(ap.Child("startingStep"), *ss, MsgStartingStepRange))
		}
	}
	return errs
}

// trafficRouting checks that tr selects exactly one router, then that router's fields
// (the rules live with the router's spec in pkg/trafficrouting/spec), then the fields
// every router shares.
func trafficRouting(p *field.Path, tr *v1alpha1.RolloutTrafficRouting) field.ErrorList {
	var errs field.ErrorList
	if routers := routespec.Selected(tr); len(routers) != 1 {
		errs = append(errs, field.Invalid(p, objectValue, MsgRouterRequired))
	} else {
		errs = append(errs, routers[0].Validate(p, tr)...)
	}
	if tr.MaxTrafficWeight != nil && *tr.MaxTrafficWeight < 1 {
		errs = append(errs, field.Invalid(p.Child("maxTrafficWeight"), *tr.MaxTrafficWeight, "must be at least 1"))
	}
	seen := map[string]bool{}
	for i, r := range tr.ManagedRoutes {
		if seen[r.Name] {
			errs = append(errs, field.Duplicate(p.Child("managedRoutes").Index(i).Child("name"), r.Name))
		}
		seen[r.Name] = true
	}
	return errs
}

func step(p *field.Path, s *v1alpha1.CanaryStep, tr *v1alpha1.RolloutTrafficRouting, maxWeight int32) field.ErrorList {
	actions := 0
	for _, set := range []bool{s.SetWeight != nil, s.Pause != nil, s.Analysis != nil, s.SetCanaryScale != nil, s.SetHeaderRoute != nil} {
		if set {
			actions++
		}
	}
	if actions != 1 {
		return field.ErrorList{field.Invalid(p, objectValue, MsgOneStepAction)}
	}
	switch {
	case s.SetWeight != nil:
		w := *s.SetWeight
		if w < 0 {
			return field.ErrorList{field.Invalid(p.Child("setWeight"), w, MsgNonNegative)}
		}
		if w > maxWeight {
			return field.ErrorList{field.Invalid(p.Child("setWeight"), w, MsgSetWeightAboveMax)}
		}
	case s.Pause != nil:
		if _, err := PauseDuration(s.Pause); err != nil {
			return field.ErrorList{field.Invalid(p.Child("pause", "duration"), s.Pause.Duration.String(), MsgPauseDuration)}
		}
	case s.Analysis != nil:
		return rolloutAnalysis(p.Child("analysis"), s.Analysis)
	case s.SetCanaryScale != nil:
		return canaryScale(p.Child("setCanaryScale"), s.SetCanaryScale, tr)
	case s.SetHeaderRoute != nil:
		return headerRoute(p.Child("setHeaderRoute"), s.SetHeaderRoute, tr)
	}
	return nil
}

func canaryScale(p *field.Path, cs *v1alpha1.SetCanaryScale, tr *v1alpha1.RolloutTrafficRouting) field.ErrorList {
	var errs field.ErrorList
	if tr == nil {
		errs = append(errs, field.Invalid(p, objectValue, MsgCanaryScaleNeedsRouting))
	}
	set := 0
	for _, b := range []bool{cs.Weight != nil, cs.Replicas != nil, cs.MatchTrafficWeight} {
		if b {
			set++
		}
	}
	if set != 1 {
		errs = append(errs, field.Invalid(p, objectValue, MsgCanaryScaleOne))
	}
	if cs.Weight != nil && (*cs.Weight < 0 || *cs.Weight > 100) {
		errs = append(errs, field.Invalid(p.Child("weight"), *cs.Weight, MsgWeightRange))
	}
	errs = append(errs, nonNegative(p.Child("replicas"), cs.Replicas)...)
	return errs
}

// headerRoute checks a setHeaderRoute step: the router tr selects must route by header,
// and the step must be one it can apply (its spec's ValidateHeaderRoute).
func headerRoute(p *field.Path, hr *v1alpha1.SetHeaderRoute, tr *v1alpha1.RolloutTrafficRouting) field.ErrorList {
	var errs field.ErrorList
	routers := routespec.Selected(tr)
	if len(routers) != 1 || routers[0].ValidateHeaderRoute == nil {
		errs = append(errs, field.Invalid(p, objectValue, MsgHeaderRouteNeedsRouting))
	}
	if tr != nil && len(tr.ManagedRoutes) > 0 && !managed(tr, hr.Name) {
		errs = append(errs, field.Invalid(p.Child("name"), hr.Name, MsgRouteNotManaged))
	}
	for i, m := range hr.Match {
		mp := p.Child("match").Index(i)
		switch {
		case (m.HeaderName == "") == (m.CookieName == ""):
			errs = append(errs, field.Invalid(mp, objectValue, MsgMatchHeaderOrCookie))
			continue
		case m.CookieName != "":
			if m.HeaderValue != nil {
				errs = append(errs, field.Invalid(mp, objectValue, MsgMatchCookieNoValue))
			}
			continue
		}
		if m.HeaderValue == nil {
			errs = append(errs, field.Invalid(mp, objectValue, MsgMatchHeaderValueRequired))
			continue
		}
		errs = append(errs, stringMatch(mp.Child("headerValue"), m.HeaderValue)...)
	}
	if len(routers) == 1 && routers[0].ValidateHeaderRoute != nil {
		errs = append(errs, routers[0].ValidateHeaderRoute(p, hr)...)
	}
	return errs
}

func stringMatch(p *field.Path, m *v1alpha1.StringMatch) field.ErrorList {
	set := 0
	for _, v := range []string{m.Exact, m.Prefix, m.Regex} {
		if v != "" {
			set++
		}
	}
	if set != 1 {
		return field.ErrorList{field.Invalid(p, objectValue, MsgStringMatchOne)}
	}
	if m.Regex != "" {
		if _, err := regexp.Compile(m.Regex); err != nil {
			return field.ErrorList{field.Invalid(p.Child("regex"), m.Regex, MsgRegexCompile+": "+err.Error())}
		}
	}
	return nil
}

func managed(tr *v1alpha1.RolloutTrafficRouting, name string) bool {
	for _, r := range tr.ManagedRoutes {
		if r.Name == name {
			return true
		}
	}
	return false
}

func blueGreen(p *field.Path, bg *v1alpha1.BlueGreenStrategy) field.ErrorList {
	var errs field.ErrorList
	if bg.ActiveService == "" {
		errs = append(errs, field.Required(p.Child("activeService"), "spec.strategy.blueGreen.activeService is required"))
	}
	if bg.PreviewService != "" && bg.PreviewService == bg.ActiveService {
		errs = append(errs, field.Invalid(p.Child("previewService"), bg.PreviewService, MsgPreviewDiffersActive))
	}
	errs = append(errs, intOrPercent(p.Child("maxUnavailable"), bg.MaxUnavailable, MsgBlueGreenMaxUnavailable)...)
	if bg.AutoPromotionSeconds < 0 {
		errs = append(errs, field.Invalid(p.Child("autoPromotionSeconds"), bg.AutoPromotionSeconds, MsgNonNegative))
	}
	for _, f := range []struct {
		name string
		v    *int32
	}{{"previewReplicaCount", bg.PreviewReplicaCount}, {"scaleDownDelaySeconds", bg.ScaleDownDelaySeconds}, {"scaleDownDelayRevisionLimit", bg.ScaleDownDelayRevisionLimit}, {"abortScaleDownDelaySeconds", bg.AbortScaleDownDelaySeconds}} {
		errs = append(errs, nonNegative(p.Child(f.name), f.v)...)
	}
	if bg.PrePromotionAnalysis != nil {
		errs = append(errs, rolloutAnalysis(p.Child("prePromotionAnalysis"), bg.PrePromotionAnalysis)...)
	}
	if bg.PostPromotionAnalysis != nil {
		errs = append(errs, rolloutAnalysis(p.Child("postPromotionAnalysis"), bg.PostPromotionAnalysis)...)
	}
	return errs
}

func rolloutAnalysis(p *field.Path, a *v1alpha1.RolloutAnalysis) field.ErrorList {
	var errs field.ErrorList
	if len(a.Templates) == 0 {
		errs = append(errs, field.Invalid(p, objectValue, MsgAnalysisTemplates))
	}
	for i, t := range a.Templates {
		if t.TemplateName == "" {
			errs = append(errs, field.Required(p.Child("templates").Index(i).Child("templateName"), "templateName is required"))
		}
	}
	seen := map[string]bool{}
	for i, arg := range a.Args {
		ap := p.Child("args").Index(i)
		if seen[arg.Name] {
			errs = append(errs, field.Duplicate(ap.Child("name"), arg.Name))
		}
		seen[arg.Name] = true
		if arg.Value != "" && arg.ValueFrom != nil {
			errs = append(errs, field.Invalid(ap, objectValue, MsgRolloutArgValueOrFrom))
		}
		if vf := arg.ValueFrom; vf != nil && (vf.PodTemplateHashValue == nil) == (vf.FieldRef == nil) {
			errs = append(errs, field.Invalid(ap.Child("valueFrom"), objectValue, MsgRolloutArgValueFromOne))
		}
		if vf := arg.ValueFrom; vf != nil && vf.PodTemplateHashValue != nil {
			if h := *vf.PodTemplateHashValue; h != v1alpha1.Stable && h != v1alpha1.Latest {
				errs = append(errs, field.NotSupported(ap.Child("valueFrom", "podTemplateHashValue"), h, []string{string(v1alpha1.Stable), string(v1alpha1.Latest)}))
			}
		}
	}
	return errs
}

// PauseDuration is how long a pause step lasts: a number of seconds, or a duration string.
// It returns 0 for a pause without duration (wait for promote).
func PauseDuration(p *v1alpha1.RolloutPause) (time.Duration, error) {
	if p == nil || p.Duration == nil {
		return 0, nil
	}
	d := p.Duration
	if d.Type == intstr.Int {
		if d.IntVal < 0 {
			return 0, strconv.ErrRange
		}
		return time.Duration(d.IntVal) * time.Second, nil
	}
	if n, err := strconv.ParseInt(d.StrVal, 10, 32); err == nil && n >= 0 {
		return time.Duration(n) * time.Second, nil
	}
	if !durationPattern.MatchString(d.StrVal) {
		return 0, strconv.ErrSyntax
	}
	return time.ParseDuration(d.StrVal)
}

// durationPattern is the CRD's pattern for duration strings (no sign, units h to ms).
var durationPattern = regexp.MustCompile(`^([0-9]+([.][0-9]+)?(h|m|s|ms))+$`)

func intOrPercent(p *field.Path, v *intstr.IntOrString, msg string) field.ErrorList {
	if v == nil {
		return nil
	}
	if v.Type == intstr.Int {
		if v.IntVal < 0 {
			return field.ErrorList{field.Invalid(p, v.IntVal, msg)}
		}
		return nil
	}
	n, ok := strings.CutSuffix(v.StrVal, "%")
	if _, err := strconv.ParseUint(n, 10, 32); !ok || err != nil {
		return field.ErrorList{field.Invalid(p, v.StrVal, msg)}
	}
	return nil
}

func isZero(v *intstr.IntOrString) bool {
	return v != nil && (v.String() == "0" || v.String() == "0%")
}

// failFast: every threshold counts seconds from 0 up, and restarts from 1 (the CRD's
// minimums, for lint and the controller).
func failFast(p *field.Path, ff *v1alpha1.FailFast) field.ErrorList {
	if ff == nil {
		return nil
	}
	errs := nonNegative(p.Child("imagePullSeconds"), ff.ImagePullSeconds)
	errs = append(errs, nonNegative(p.Child("configErrorSeconds"), ff.ConfigErrorSeconds)...)
	errs = append(errs, nonNegative(p.Child("unschedulableSeconds"), ff.UnschedulableSeconds)...)
	if ff.Restarts != nil && *ff.Restarts < 1 {
		errs = append(errs, field.Invalid(p.Child("restarts"), *ff.Restarts, MsgAtLeastOne))
	}
	return errs
}

func nonNegative(p *field.Path, v *int32) field.ErrorList {
	if v != nil && *v < 0 {
		return field.ErrorList{field.Invalid(p, *v, MsgNonNegative)}
	}
	return nil
}
