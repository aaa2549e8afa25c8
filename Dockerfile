# syntax=docker/dockerfile:1
# Aviary's image: the operator built on Debian 12 (the packages `make deps` installs), then a slim runtime
# with the binary and the shared libraries it links, running as the non-root user 65532 that
# config/manager and the Helm chart expect. No image is built or published from this repository's CI (the
# machines have no container runtime); build it with `docker build -t aviary:0.1.0 .`.

FROM debian:12 AS build
RUN apt-get update -qq && apt-get install -y -qq --no-install-recommends \
      build-essential cmake ninja-build pkg-config \
      libboost-dev libboost-system-dev libboost-program-options-dev \
      libcpprest-dev libyaml-cpp-dev libspdlog-dev nlohmann-json3-dev libssl-dev \
      libgtest-dev libgmock-dev libbenchmark-dev libjemalloc-dev \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
# Only the operator: the tests, the sandbox and the benchmarks stay out of the image.
RUN cmake -S . -B /build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    && cmake --build /build --target aviary \
    && strip /build/operator/aviary \
    && mkdir -p /out/lib \
    && ldd /build/operator/aviary | awk '$3 ~ /^\// { print $3 }' | grep -vE '/(libc|libm|libpthread|libgcc_s|libstdc\+\+)\.so' \
       | xargs -I{} cp -L {} /out/lib/

# distroless/cc has glibc, libstdc++, libgcc, CA certificates and the nonroot user (65532); the rest of
# what the binary links (cpprest, OpenSSL, spdlog, fmt, yaml-cpp, Boost.ProgramOptions, brotli, zlib, jemalloc) is
# copied from the build stage.
FROM gcr.io/distroless/cc-debian12:nonroot
COPY --from=build /out/lib/ /usr/lib/x86_64-linux-gnu/
COPY --from=build /build/operator/aviary /usr/local/bin/aviary
USER 65532:65532
EXPOSE 8080
ENTRYPOINT ["/usr/local/bin/aviary"]
