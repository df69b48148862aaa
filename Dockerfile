# parallel-review: the webhook server (default command) or a queue worker (`node lib/worker.js`).
# Two stages: the first compiles TypeScript and packs the package exactly as npm would publish it; the
# second installs only its production dependencies from the lockfile and runs as the unprivileged `node`
# user. test/service/image.test.ts repeats these steps without Docker and runs CMD and HEALTHCHECK.

FROM node:20.20-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY bin ./bin
COPY schema ./schema
COPY app.yml reviewers.yml ./
RUN npm run build && npm pack --ignore-scripts --pack-destination /out

FROM node:20.20-bookworm-slim
# The young generation capped at 4 MiB per semi-space (V8's default 16): in a burst it quarters what the
# young generation takes at no measurable CPU (docs/performance.md, "Memory"). Applies to the worker too.
ENV NODE_ENV=production HOST=0.0.0.0 PORT=3000 NODE_OPTIONS=--max-semi-space-size=4
WORKDIR /app
COPY --from=build /out/ /tmp/pack/
COPY package-lock.json ./
RUN tar -xzf /tmp/pack/parallel-review-*.tgz --strip-components=1 && rm -rf /tmp/pack \
 && npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force
USER node
EXPOSE 3000
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
CMD ["node", "lib/server.js"]
