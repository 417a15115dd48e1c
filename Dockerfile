FROM node:20-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY web ./web
# The page's story words are generated from the runner's tables (tools/story-words.ts), whose stories
# import the harness and the bench's Redis helpers; build stage only, none of it reaches the image.
COPY demo ./demo
COPY harness ./harness
COPY tools ./tools
COPY bench ./bench
RUN npm run build && npm prune --omit=dev

FROM node:20-slim
WORKDIR /app
ENV NODE_ENV=production
# No demo page, attacker tools or demo users in a production image, whatever HOST is.
ENV DEMO_MODE=false
# Listen on every interface of the container. On a non-loopback HOST, COOKIE_SECURE=auto means Secure
# cookies: put TLS in front (and set TRUST_PROXY to the number of proxies of yours, e.g. 1).
ENV HOST=0.0.0.0
# The admin account: pass ADMIN_PASSWORD (at least 12 characters) or, better, ADMIN_PASSWORD_FILE pointing
# at a Docker/Kubernetes secret. It creates the user `admin` at first start; without it there is no admin.
# Set SESSION_SECRET and JWT_SECRET (32+ bytes each) so logins survive restarts.
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
USER node
EXPOSE 3000
CMD ["node", "dist/server.js"]
