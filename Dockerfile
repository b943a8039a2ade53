# The gateway image: the same package `make up` runs, served by `parcours serve`.
FROM python:3.11-slim
WORKDIR /app
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PARCOURS_HOST=0.0.0.0 PARCOURS_ENV=production
COPY pyproject.toml README.md ./
COPY gateway ./gateway
COPY resolvers ./resolvers
COPY graph ./graph
COPY channels ./channels
COPY simulators ./simulators
RUN pip install --no-cache-dir .
EXPOSE 8080
USER nobody
CMD ["parcours", "serve"]
