#!/usr/bin/env bash
# bench/batch.sh measures inference batching (rembg { batch N }) on this
# machine: the shipped ISNet graphs fix their batch dimension at 1, so it
# writes a copy of runtime/models/isnet-fp16.onnx whose input and output
# batch dimension is symbolic (python3-onnx from apt; nothing else in the
# graph changes), checks that a batch of two gives each image the mask it
# gets alone, then times 2 and 4 concurrent inferences one by one against
# one batch (BenchmarkBatch in segment). The copy lives in
# bench/out/ (git-ignored). Usage: bench/batch.sh [benchtime, default 3x]
set -euo pipefail
cd "$(dirname "$0")/.."
GO=${GO:-go}
export CGO_ENABLED=1 MATTE_RUNTIME=${MATTE_RUNTIME:-$PWD/runtime}
model=bench/out/isnet-fp16-dynbatch.onnx
mkdir -p bench/out
if ! /usr/bin/python3 -c 'import onnx' 2>/dev/null; then
	echo "batch.sh: installing python3-onnx (apt)" >&2
	sudo_=""; [ "$(id -u)" = 0 ] || sudo_=sudo
	$sudo_ apt-get install -y -q python3-onnx >/dev/null
fi
if [ ! -s "$model" ]; then
	/usr/bin/python3 - "$PWD/runtime/models/isnet-fp16.onnx" "$model" <<'PY'
import sys, onnx
m = onnx.load(sys.argv[1])
for vi in list(m.graph.input) + list(m.graph.output):
    d = vi.type.tensor_type.shape.dim[0]
    d.ClearField("dim_value")
    d.dim_param = "N"
del m.graph.value_info[:]  # inferred shapes that still say batch 1
onnx.save(m, sys.argv[2] + ".tmp")
PY
	mv "$model.tmp" "$model"
fi
export MATTE_BATCH_MODEL=$PWD/$model
$GO test -count 1 -run 'TestBatchRealModelMatchesSingle' ./segment/
$GO test -count 1 -run XXX -bench BenchmarkBatch -benchtime "${1:-3x}" ./segment/
