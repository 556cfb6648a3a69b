#!/usr/bin/env bash
# bench/gpu.sh: scenario h on a GPU (`execution_provider cuda`) and the
# many-core `workers` sweep, on the GPU machine a session is sometimes lent
# (/work/.library/device). That machine has no Go, no wrk and no network,
# and each call to it carries at most 64 MiB, so the run is prepared here
# and sent in pieces:
#
#   make gpu-stage            # here: build, pack, split into .gpu-stage/NN/
#   bench/gpu.sh device ARGS  # there, once every piece has arrived: unpack,
#                             # find CUDA, run bench/cmd/gpurun ARGS
#   bench/gpu.sh local        # here: the whole device step on the CPU
#
# `make gpu-stage` prints the device calls to make: one per piece, each
# carrying its folder (ignored files a call carried stay on a warm machine
# for the next call), the last one running `bench/gpu.sh device`. The
# pieces hold bin/caddy (stripped), ONNX Runtime's GPU build with its CUDA
# provider (`GPU=1 make runtime`; it needs CUDA 13 and cuDNN 9, which the
# device image has), runtime/models/isnet-fp16.onnx, libvips, the segment
# package's test binary (BenchmarkISNet: the raw inference time), gpurun
# and the images h, a and c read. Results: gpurun's Markdown report, in
# $OUT/gpu.md there.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
stage=$root/.gpu-stage
GO=${GO:-$(command -v go || echo /usr/local/go/bin/go)}
chunk_mib=${GPU_CHUNK_MIB:-56} # 64 MiB a call, less the tracked tree (~5 MiB)

log() { echo "gpu.sh: $*" >&2; }

testdata() {
	for d in "${MATTE_TESTDATA:-}" "$root/../shared/testdata" "$root/shared/testdata"; do
		[ -n "$d" ] && [ -d "$d/perf" ] && { echo "$d"; return; }
	done
	log "no test data (set MATTE_TESTDATA)"; exit 1
}

# pack DIR: the folder the device unpacks, built from this checkout.
pack() {
	local dir=$1 gpu=$root/runtime/gpu/lib td
	td=$(testdata)
	for f in "$root/bin/caddy" "$gpu/libonnxruntime.so" "$gpu/libonnxruntime_providers_cuda.so" \
		"$gpu/libonnxruntime_providers_shared.so" "$root/runtime/models/isnet-fp16.onnx"; do
		[ -s "$f" ] || { log "$f missing: run \`make gpu-stage\` (it builds and fetches with GPU=1)"; exit 1; }
	done
	mkdir -p "$dir/bin" "$dir/runtime/lib" "$dir/runtime/models" "$dir/runtime/vips" "$dir/images/perf" "$dir/images/photos"
	strip --strip-debug -o "$dir/bin/caddy" "$root/bin/caddy"
	cp -L "$gpu/libonnxruntime.so" "$gpu/libonnxruntime_providers_cuda.so" "$gpu/libonnxruntime_providers_shared.so" "$dir/runtime/lib/"
	cp -a "$root/runtime/models/isnet-fp16.onnx" "$dir/runtime/models/"
	cp -a "$root/runtime/vips/lib" "$dir/runtime/vips/"
	cp -a "$root/runtime/vips/versions.json" "$dir/runtime/vips/"
	rm -rf "$dir/runtime/vips/lib/pkgconfig"
	cp -a "$td/photos/animal-1.jpg" "$dir/images/photos/"
	cp -a "$td/perf/photo-1mp.jpg" "$td/perf/photo-4mp.jpg" "$dir/images/perf/"
	"$GO" test -c -o "$dir/segment.test" ./segment
	strip --strip-debug "$dir/segment.test"
	CGO_ENABLED=0 "$GO" build -o "$dir/gpurun" ./bench/cmd/gpurun
}

case "${1:-}" in
stage)
	work=$(mktemp -d)
	trap 'rm -rf "$work"' EXIT
	pack "$work/matte-gpu"
	rm -rf "$stage" && mkdir -p "$stage"
	log "compressing (xz)"
	tar -C "$work" -cf - matte-gpu | xz -T0 -6 >"$work/payload.tar.xz"
	(cd "$work" && split -b "${chunk_mib}M" -d -a 2 payload.tar.xz part.)
	(cd "$work" && sha256sum part.* payload.tar.xz) >"$work/SHA256SUMS"
	n=0
	for p in "$work"/part.*; do
		d=$stage/${p##*.}
		mkdir -p "$d" && mv "$p" "$d/part" && cp "$work/SHA256SUMS" "$d/"
		n=$((n + 1))
	done
	log "$(du -sh "$work/payload.tar.xz" | cut -f1) in $n pieces under .gpu-stage/"
	echo "Device calls, one after another while the machine is warm (it goes back after about 30 s idle):"
	i=0
	for d in "$stage"/*/; do
		i=$((i + 1)); d=${d%/}; d=.gpu-stage/${d##*/}
		if [ "$i" -lt "$n" ]; then
			echo "  run carry=[\"$d\"] command=\"ls -l $d\""
		else
			echo "  run carry=[\"$d\"] timeout_s=600 command=\"bench/gpu.sh device -duration 10s -cpu-compare -sweep 16:1,18:1,24:1,32:1,8:2\""
		fi
	done
	;;
device | local)
	mode=$1; shift
	out=${OUT:-$root/bench/out}
	mkdir -p "$out"
	dest=${GPU_DEST:-/tmp/matte-gpu-run}
	rm -rf "$dest" && mkdir -p "$dest"
	if [ "$mode" = local ]; then
		pack "$dest/matte-gpu"
		set -- -provider cpu "$@"
	else
		sums=$(ls "$stage"/*/SHA256SUMS 2>/dev/null | head -n1)
		[ -n "$sums" ] || { log "no pieces under .gpu-stage/ (make gpu-stage here, then carry them)"; exit 3; }
		missing=0
		while read -r sum name; do
			[ "$name" = payload.tar.xz ] && continue
			f=$stage/${name#part.}/part
			if [ ! -f "$f" ]; then log "missing piece $name (.gpu-stage/${name#part.})"; missing=1
			elif [ "$(sha256sum "$f" | cut -d' ' -f1)" != "$sum" ]; then log "piece $name is damaged"; missing=1; fi
		done <"$sums"
		[ "$missing" = 0 ] || exit 3
		cat "$stage"/*/part >"$dest/payload.tar.xz"
		want=$(awk '$2 == "payload.tar.xz" {print $1}' "$sums")
		[ "$(sha256sum "$dest/payload.tar.xz" | cut -d' ' -f1)" = "$want" ] || { log "reassembled payload does not match"; exit 3; }
		if command -v xz >/dev/null; then
			xz -dc "$dest/payload.tar.xz" | tar -C "$dest" -xf -
		else
			python3 -c 'import lzma, shutil, sys; shutil.copyfileobj(lzma.open(sys.argv[1]), sys.stdout.buffer)' "$dest/payload.tar.xz" | tar -C "$dest" -xf -
		fi
		rm -f "$dest/payload.tar.xz"
		# CUDA 13 and cuDNN 9 for the provider: the image's CUDA toolkit,
		# the nvidia-* Python wheels beside PyTorch and the driver's
		# libcuda (under /usr/local/nvidia, its own mount: no -xdev).
		libs="libcuda.so.1 libcudart.so.13 libcublas.so.13 libcublasLt.so.13 libcurand.so.10 libcudnn.so.9"
		names=()
		for lib in $libs; do
			[ ${#names[@]} -eq 0 ] || names+=(-o)
			names+=(-name "$lib*")
		done
		# One walk of the likely roots (the Python wheels are many files).
		found=$(find /usr/local /usr/lib /opt \( "${names[@]}" \) 2>/dev/null || true)
		libdirs=""
		for lib in $libs; do
			f=$(printf '%s\n' "$found" | grep -m1 -F "/$lib" || true)
			if [ -n "$f" ]; then
				case ":$libdirs:" in *":$(dirname "$f"):"*) ;; *) libdirs=${libdirs:+$libdirs:}$(dirname "$f") ;; esac
			else
				log "$lib not found"
			fi
		done
		export LD_LIBRARY_PATH=$libdirs${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
		log "LD_LIBRARY_PATH=$LD_LIBRARY_PATH"
		ldd "$dest/matte-gpu/runtime/lib/libonnxruntime_providers_cuda.so" | grep "not found" >&2 || true
		nvidia-smi >&2 || true
	fi
	"$dest/matte-gpu/gpurun" -root "$dest/matte-gpu" -out "$out/gpu.md" "$@"
	;;
*)
	echo "usage: bench/gpu.sh stage | device [gpurun flags] | local [gpurun flags]" >&2
	exit 2
	;;
esac
