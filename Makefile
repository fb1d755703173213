# The two README commands (`make demo`, `make test`) and their helpers.
# CMake does the build; this file only sequences it.

BUILD      ?= build
ASAN_BUILD ?= build-asan
JOBS       ?= $(shell nproc 2>/dev/null || echo 2)
export TURTLES_CACHE ?= $(HOME)/.cache/turtles

# Debian packages needed to build and test (the references QEMU and Bochs are
# only for bench/ and installed by bench/ scripts).
DEPS = cmake gcc make pkg-config binutils libsdl2-dev libslirp-dev zlib1g-dev \
       libcapstone-dev check libmpfr-dev libgmp-dev cpio gzip xz-utils zstd \
       busybox-static acpica-tools bc python3 libc6-dev linux-libc-dev seabios gdb \
       xorriso grub-pc-bin grub-common mtools isolinux syslinux-common e2fsprogs qemu-utils \
       libpng-dev xvfb xauth xdotool imagemagick memtest86+ tesseract-ocr \
       $(if $(filter x86_64,$(shell uname -m)),,gcc-x86-64-linux-gnu)

.PHONY: all deps build build-asan test test-unit test-long test-kut demo images images-l1host bench bench-deps clean

all: build

deps:
	@missing=""; for p in $(DEPS); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "Installing:$$missing"; \
	  SUDO=""; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
	  $$SUDO apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends $$missing; \
	fi

build: deps
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	cmake --build $(BUILD) -j $(JOBS)

build-asan: deps
	cmake -S . -B $(ASAN_BUILD) -DCMAKE_BUILD_TYPE=Debug -DTURTLES_SANITIZE=ON >/dev/null
	cmake --build $(ASAN_BUILD) -j $(JOBS)

images: deps
	tests/images/build-images.sh
	tests/images/build-isos.sh
	tests/images/fetch-grub-rescue.sh

# The L1 image that carries Debian's QEMU (for the L2 Linux and L3 tests).
images-l1host: deps
	tests/images/build-images.sh --with-qemu

# Unit tests and the quick hostile-input script (tests/boot/hostile.sh) under
# ASan+UBSan first, then the whole suite (unit, guest and
# boot tests) on the optimized build; ctest's summary line ends the output.
test: build build-asan images images-l1host
	cd $(ASAN_BUILD) && ctest --output-on-failure -R '^(unit/|boot/hostile$$)' -j $(JOBS)
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS) -LE long

test-long: build images images-l1host
	cd $(BUILD) && ctest --output-on-failure -j 1 -L long

# Opt-in: kvm-unit-tests' VMX suite inside turtles, from a kvm-unit-tests
# checkout built outside this tree (tests/kut/run-kut.sh says how).
test-kut: build
	@test -n "$(KUT_DIR)" || { echo "make test-kut: set KUT_DIR to a built kvm-unit-tests checkout (see tests/kut/run-kut.sh)"; exit 2; }
	tests/kut/run-kut.sh $(BUILD)/turtles $(KUT_DIR)

demo: build images
	tests/demo.sh $(BUILD)/turtles

# The reference emulators and what their runs need (only `make bench` uses them).
BENCH_DEPS = qemu-system-x86 bochs bochsbios vgabios grub-pc-bin grub-common xorriso mtools procps

bench-deps:
	@$(MAKE) --no-print-directory deps DEPS="$(BENCH_DEPS)"

bench: build images bench-deps
	bench/run-all.sh $(BUILD)/turtles

clean:
	rm -rf $(BUILD) $(ASAN_BUILD)
