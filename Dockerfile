# syntax=docker/dockerfile:1
# Multi-stage build: compile TypeScript with dev dependencies, then ship only the built
# JavaScript and production dependencies on a small base, running as a non-root user.

FROM node:20-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts
COPY tsconfig.json tsconfig.build.json ./
COPY scripts/write-build-info.mjs ./scripts/
COPY src ./src
# The git commit `kclguard version` reports; the build context has no .git, so the image build
# passes it (scripts/image/build.sh does). Declared after npm ci so a new commit keeps that layer.
ARG KCLGUARD_BUILD_COMMIT=unknown
RUN npm run build && npm prune --omit=dev --ignore-scripts

FROM node:20-bookworm-slim
# The release version: equal to package.json's version and the chart's appVersion (a unit test,
# test/release-version.test.ts, keeps the three in sync).
ARG KCLGUARD_VERSION=0.1.0
ARG KCLGUARD_BUILD_COMMIT=unknown
LABEL org.opencontainers.image.title="kclguard" \
      org.opencontainers.image.description="Kubernetes admission controller whose policies are KCLRun resources written in KCL" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.version="${KCLGUARD_VERSION}" \
      org.opencontainers.image.revision="${KCLGUARD_BUILD_COMMIT}"
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /src/node_modules ./node_modules
COPY --from=build /src/dist ./dist
COPY package.json ./
# The example policies, for `serve` without a cluster; in a cluster, policies come from KCLRuns.
COPY policies ./policies
# 65532: the conventional "nonroot" uid; the chart's securityContext runs as the same id.
USER 65532:65532
EXPOSE 8443
# Exec form, node as PID 1, so SIGTERM reaches kclguard's graceful
# shutdown directly. No HEALTHCHECK: Kubernetes probes /healthz and /readyz.
ENTRYPOINT ["node", "/app/dist/main.js"]
CMD ["serve", "--host=0.0.0.0"]
