// The JSON of pkg/dashboard's views (view.go, view_analysis.go), field for field.

export interface RolloutView {
  key: string;
  namespace: string;
  name: string;
  created?: string;
  phase: string;
  message?: string;
  strategy: Strategy;
  images: string[];
  replicas: Replicas;
  paused: boolean;
  aborted: boolean;
  promoteFull: boolean;
  pauseReasons: string[];
  step: number | null;
  steps: StepView[];
  setWeight: number | null;
  actualWeight: number | null;
  headerRoutes: HeaderRoute[];
  revisions: RevisionView[];
  blueGreen: BlueGreenView | null;
  analysisRuns: AnalysisView[];
  events: EventView[];
  conditions: ConditionView[];
}

export interface Strategy {
  kind: string;
  stableService?: string;
  canaryService?: string;
  activeService?: string;
  previewService?: string;
  trafficRouting?: string;
  maxSurge?: string;
  maxUnavailable?: string;
}

export interface Replicas {
  desired: number;
  current: number;
  updated: number;
  ready: number;
  available: number;
}

export interface StepView {
  index: number;
  kind: string;
  text: string;
  state: 'done' | 'current' | 'pending';
}

export interface HeaderRoute {
  name: string;
  matches: string[];
  active: boolean;
}

export interface RevisionView {
  revision: string;
  replicaSet: string;
  hash: string;
  role: 'stable' | 'canary' | 'new' | 'old';
  services: string[]; // blue-green: 'active', 'preview'
  images: string[];
  desired: number;
  ready: number;
  available: number;
  // When the controller takes this old revision to 0 (RFC 3339), while it waits out its
  // scale-down delay; absent otherwise.
  scaleDownAt?: string;
  pods: PodView[];
  // Why its pods do not become available, one per cause: "PodImagePullError: 2 pods,
  // e.g. pod web-7c9-x2: container web: ImagePullBackOff: ..." (pkg/diagnosis).
  problems: string[];
}

// A blue-green rollout's Services and promotion (view_bluegreen.go).
export interface BlueGreenView {
  activeService: string;
  previewService?: string;
  activeRevision: string;
  previewRevision: string;
  activeSelector?: string;
  previewSelector?: string;
  stage: string;
  stages: StageView[];
  prePromotion?: RunRef;
  postPromotion?: RunRef;
}

export interface StageView {
  name: string;
  text: string;
  state: 'done' | 'current' | 'pending';
}

export interface RunRef {
  name: string;
  phase: string;
  message?: string;
}

export interface PodView {
  name: string;
  phase: string;
  ready: boolean;
}

export interface AnalysisView {
  name: string;
  type?: string; // the rollout-type label: PrePromotion, PostPromotion, Step, Background
  phase: string;
  message?: string;
  started?: string;
  metrics: MetricView[];
}

export interface MetricView {
  name: string;
  phase: string;
  provider: string;
  successCondition?: string;
  failureCondition?: string;
  measurements: MeasurementView[];
}

export interface MeasurementView {
  time: string;
  value: string;
  phase: string;
}

export interface EventView {
  type: string;
  reason: string;
  message: string;
  count: number;
  time: string;
}

export interface ConditionView {
  type: string;
  status: string;
  reason: string;
  message: string;
}

export interface Session {
  readOnly: boolean;
  namespace: string;
  context?: string;
  actions: Action[];
}

export type Action = 'promote' | 'promote-full' | 'abort' | 'retry' | 'restart' | 'pause' | 'resume';
