# syntax=docker/dockerfile:1
# Multi-stage build: compile TypeScript with dev dependencies, then ship only the built
# JavaScript and production dependencies on a small base, running as a non-root user.

FROM node:20-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build && npm prune --omit=dev --ignore-scripts

FROM node:20-bookworm-slim
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
