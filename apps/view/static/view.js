// wsi-view page: OpenSeadragon for the slide, one canvas on top for every layer (heat map as a
// raster with one cell per grid step of the patches, boxes, tissue grid), redrawn each frame the
// viewport moves. window.__view exposes the state the browser test and the fluidity probe read.
/* global OpenSeadragon */
'use strict';
(() => {
  // ColorBrewer YlOrRd, as wsi-heatmap draws it.
  const RAMP = [
    [255, 255, 178],
    [254, 204, 92],
    [253, 141, 60],
    [240, 59, 32],
    [189, 0, 38],
  ];
  const PRED = 'rgb(30,90,255)';
  const TRUTH = 'rgb(0,200,0)';
  const $ = (id) => document.getElementById(id);
  const heatColour = (s) => {
    const t = Math.min(1, Math.max(0, s)) * (RAMP.length - 1);
    const i = Math.min(RAMP.length - 2, Math.floor(t));
    const f = t - i;
    return [0, 1, 2].map((c) => Math.round(RAMP[i][c] * (1 - f) + RAMP[i + 1][c] * f));
  };
  $('colour-ramp').style.background = `linear-gradient(to right, ${RAMP.map((c) => `rgb(${c})`).join(',')})`;

  const state = {
    slides: [],
    index: -1,
    slide: null,
    patches: null,
    heat: null,
    ready: false,
    tilesLoaded: 0,
    fullyLoaded: false,
    layers: { heat: true, pred: true, truth: true, grid: false },
    opacity: 0.6,
    drawn: { heat: false, pred: 0, truth: 0, grid: 0 },
    draws: 0,
    drawMs: [],
    frameMs: [],
    hover: null,
  };
  window.__view = state;

  const viewer = OpenSeadragon({
    element: $('viewer'),
    prefixUrl: '/static/osd/images/',
    showNavigator: true,
    navigatorPosition: 'BOTTOM_RIGHT',
    maxZoomPixelRatio: 4,
    drawer: 'canvas',
    visibilityRatio: 0.5,
    imageLoaderLimit: 6,
    timeout: 60000,
  });
  state.viewer = viewer;
  const canvas = $('overlay');
  const ctx = canvas.getContext('2d');

  /** Level-0 px -> viewer-element px: one scale and offset (no rotation). */
  function transform() {
    const item = viewer.world.getItemAt(0);
    if (!item) return null;
    const a = item.imageToViewerElementCoordinates(new OpenSeadragon.Point(0, 0));
    const b = item.imageToViewerElementCoordinates(new OpenSeadragon.Point(1e4, 1e4));
    return { s: (b.x - a.x) / 1e4, ox: a.x, oy: a.y };
  }
  state.imageToScreen = (x, y) => {
    const t = transform();
    return t && { x: t.ox + x * t.s, y: t.oy + y * t.s };
  };

  function decodePatches(buf, n, k) {
    const i32 = new Int32Array(buf, 0, 4 * n);
    return {
      n,
      k,
      x0: i32.subarray(0, n),
      y0: i32.subarray(n, 2 * n),
      w0: i32.subarray(2 * n, 3 * n),
      h0: i32.subarray(3 * n, 4 * n),
      score: new Float32Array(buf, 16 * n, n),
      fold: new Float32Array(buf, 20 * n, n * k),
      label: new Int8Array(buf, (20 + 4 * k) * n, n),
    };
  }
  const gcd = (a, b) => {
    while (b) [a, b] = [b, a % b];
    return Math.abs(a);
  };

  /** The heat map as a raster, one pixel per grid cell; overlapping patches are averaged. */
  function buildHeat(p, width, height) {
    let g = 0;
    for (let i = 0; i < p.n && g !== 1; i++) g = gcd(gcd(gcd(gcd(g, p.x0[i]), p.y0[i]), p.w0[i]), p.h0[i]);
    let cell = Math.max(1, g);
    while ((width / cell) * (height / cell) > 16e6) cell *= 2;
    const gw = Math.ceil(width / cell),
      gh = Math.ceil(height / cell);
    const sum = new Float32Array(gw * gh),
      cnt = new Uint16Array(gw * gh);
    const origin = new Map();
    let maxW = 0;
    for (let i = 0; i < p.n; i++) {
      const xa = Math.floor(p.x0[i] / cell),
        ya = Math.floor(p.y0[i] / cell);
      const xb = Math.min(gw, Math.max(xa + 1, Math.ceil((p.x0[i] + p.w0[i]) / cell)));
      const yb = Math.min(gh, Math.max(ya + 1, Math.ceil((p.y0[i] + p.h0[i]) / cell)));
      for (let y = Math.max(0, ya); y < yb; y++)
        for (let x = Math.max(0, xa); x < xb; x++) {
          sum[y * gw + x] += p.score[i];
          cnt[y * gw + x]++;
        }
      origin.set(ya * gw + xa, i);
      maxW = Math.max(maxW, xb - xa, yb - ya);
    }
    const heat = document.createElement('canvas');
    heat.width = gw;
    heat.height = gh;
    const hc = heat.getContext('2d');
    const img = hc.createImageData(gw, gh);
    const grid = document.createElement('canvas');
    grid.width = gw;
    grid.height = gh;
    const gc = grid.getContext('2d');
    const gimg = gc.createImageData(gw, gh);
    for (let k = 0; k < gw * gh; k++) {
      if (!cnt[k]) continue;
      const s = sum[k] / cnt[k];
      const c = heatColour(s);
      img.data.set([c[0], c[1], c[2], Math.round(255 * (0.1 + 0.9 * Math.min(1, Math.max(0, s))))], 4 * k);
      gimg.data.set([60, 60, 60, 90], 4 * k);
    }
    hc.putImageData(img, 0, 0);
    gc.putImageData(gimg, 0, 0);
    return { cell, gw, gh, heat, grid, origin, maxW };
  }

  /** The patch under level-0 point (x, y): of those covering it, the one whose centre is nearest. */
  function patchAt(x, y) {
    const p = state.patches,
      h = state.heat;
    if (!p || !h) return -1;
    const cx = Math.floor(x / h.cell),
      cy = Math.floor(y / h.cell);
    let best = -1,
      bestD = Infinity;
    for (let dy = 0; dy < h.maxW; dy++)
      for (let dx = 0; dx < h.maxW; dx++) {
        if (cx - dx < 0 || cy - dy < 0) continue;
        const i = h.origin.get((cy - dy) * h.gw + (cx - dx));
        if (i === undefined || x < p.x0[i] || y < p.y0[i] || x >= p.x0[i] + p.w0[i] || y >= p.y0[i] + p.h0[i]) continue;
        const d = (x - p.x0[i] - p.w0[i] / 2) ** 2 + (y - p.y0[i] - p.h0[i] / 2) ** 2;
        if (d < bestD) {
          bestD = d;
          best = i;
        }
      }
    return best;
  }
  state.patchAt = patchAt;

  function sizeCanvas() {
    const el = $('viewer'),
      dpr = window.devicePixelRatio || 1;
    canvas.style.width = `${el.clientWidth}px`;
    canvas.style.height = `${el.clientHeight}px`;
    canvas.width = Math.round(el.clientWidth * dpr);
    canvas.height = Math.round(el.clientHeight * dpr);
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  }

  function drawRaster(src, t, w, h, alpha) {
    const H = state.heat;
    // Only the visible cells: keeps the destination rectangle small at any zoom.
    const sx = Math.max(0, Math.floor(-t.ox / (t.s * H.cell))),
      sy = Math.max(0, Math.floor(-t.oy / (t.s * H.cell)));
    const ex = Math.min(H.gw, Math.ceil((w - t.ox) / (t.s * H.cell))),
      ey = Math.min(H.gh, Math.ceil((h - t.oy) / (t.s * H.cell)));
    if (ex <= sx || ey <= sy) return;
    ctx.globalAlpha = alpha;
    ctx.imageSmoothingEnabled = false;
    const k = t.s * H.cell;
    ctx.drawImage(src, sx, sy, ex - sx, ey - sy, t.ox + sx * k, t.oy + sy * k, (ex - sx) * k, (ey - sy) * k);
    ctx.globalAlpha = 1;
  }

  function draw() {
    const t0 = performance.now();
    const el = $('viewer'),
      w = el.clientWidth,
      h = el.clientHeight;
    ctx.clearRect(0, 0, w, h);
    const t = transform();
    const d = { heat: false, pred: 0, truth: 0, grid: 0 };
    if (t && state.slide) {
      const L = state.layers,
        p = state.patches;
      if (L.heat && state.heat) {
        drawRaster(state.heat.heat, t, w, h, state.opacity);
        d.heat = true;
      }
      if (L.grid && p) {
        if (p.w0[0] * t.s >= 6) {
          ctx.strokeStyle = 'rgba(40,40,40,0.6)';
          ctx.lineWidth = 1;
          ctx.beginPath();
          for (let i = 0; i < p.n; i++) {
            const x = t.ox + p.x0[i] * t.s,
              y = t.oy + p.y0[i] * t.s,
              pw = p.w0[i] * t.s,
              ph = p.h0[i] * t.s;
            if (x > w || y > h || x + pw < 0 || y + ph < 0) continue;
            ctx.rect(x + 0.5, y + 0.5, pw, ph);
            d.grid++;
          }
          ctx.stroke();
        } else if (state.heat) {
          drawRaster(state.heat.grid, t, w, h, 1);
          d.grid = -1;
        }
      }
      const box = (b, colour, out, label) => {
        // Truth just outside its edge, predictions just inside, so both show where they coincide.
        const x = t.ox + b.x1 * t.s - out,
          y = t.oy + b.y1 * t.s - out;
        const bw = (b.x2 - b.x1) * t.s + 2 * out,
          bh = (b.y2 - b.y1) * t.s + 2 * out;
        if (x > w || y > h || x + bw < 0 || y + bh < 0) return 0;
        ctx.strokeStyle = colour;
        ctx.lineWidth = 3;
        ctx.strokeRect(x, y, bw, bh);
        if (label) {
          ctx.font = 'bold 12px system-ui, sans-serif';
          const tw = ctx.measureText(label).width;
          ctx.fillStyle = colour;
          ctx.fillRect(x - 1.5, y - 17, tw + 8, 16);
          ctx.fillStyle = '#fff';
          ctx.fillText(label, x + 2.5, y - 4.5);
        }
        return 1;
      };
      if (L.truth) for (const b of state.slide.truth) d.truth += box(b, TRUTH, 3, '');
      if (L.pred) for (const b of state.slide.boxes) d.pred += box(b, PRED, -2, `#${b.rank} ${b.score.toFixed(2)}`);
    }
    state.drawn = d;
    state.draws++;
    state.drawMs.push(performance.now() - t0);
    if (state.drawMs.length > 2000) state.drawMs.splice(0, 1000);
  }
  let lastFrame = 0;
  const frame = () => {
    const now = performance.now();
    if (lastFrame) state.frameMs.push(now - lastFrame);
    if (state.frameMs.length > 2000) state.frameMs.splice(0, 1000);
    lastFrame = now;
    requestAnimationFrame(frame);
  };
  requestAnimationFrame(frame);

  viewer.addHandler('update-viewport', draw);
  viewer.addHandler('resize', () => {
    sizeCanvas();
    draw();
  });
  viewer.addHandler('tile-loaded', () => {
    state.tilesLoaded++;
  });
  viewer.addHandler('open', () => {
    const item = viewer.world.getItemAt(0);
    item.addHandler('fully-loaded-change', (e) => {
      state.fullyLoaded = e.fullyLoaded;
    });
    state.ready = true;
    draw();
  });
  viewer.addHandler('open-failed', (e) => showError(`the slide could not be shown: ${e.message}`));
  window.addEventListener('resize', () => {
    sizeCanvas();
    draw();
  });

  const tip = $('tip');
  $('viewer').addEventListener('pointermove', (ev) => {
    const t = transform();
    if (!t || !state.patches) return;
    const r = $('viewer').getBoundingClientRect();
    const mx = ev.clientX - r.left,
      my = ev.clientY - r.top;
    const i = patchAt((mx - t.ox) / t.s, (my - t.oy) / t.s);
    state.hover = i;
    if (i < 0) {
      tip.hidden = true;
      return;
    }
    const p = state.patches;
    const folds = Array.from(p.fold.subarray(i * p.k, (i + 1) * p.k), (v) => v.toFixed(3)).join(' ');
    const label = p.label[i] < 0 ? 'none' : String(p.label[i]);
    const where = `x0 ${p.x0[i]}  y0 ${p.y0[i]}  (${p.w0[i]} px)`;
    tip.textContent = `score ${p.score[i].toFixed(3)}\nfolds ${folds || '-'}\nlabel ${label}\n${where}`;
    tip.style.left = `${mx + 14}px`;
    tip.style.top = `${my + 14}px`;
    tip.hidden = false;
  });
  $('viewer').addEventListener('pointerleave', () => {
    tip.hidden = true;
  });

  for (const name of ['heat', 'pred', 'truth', 'grid']) {
    $(`layer-${name}`).addEventListener('change', (e) => {
      state.layers[name] = e.target.checked;
      draw();
    });
  }
  $('heat-opacity').addEventListener('input', (e) => {
    state.opacity = Number(e.target.value);
    draw();
  });
  $('slide-picker').addEventListener('change', (e) => show(Number(e.target.value)));

  function showError(msg) {
    $('slide-error').textContent = msg;
    $('slide-error').hidden = false;
  }

  /** Zooms to a box with a margin of half its size. */
  function goTo(b) {
    const m = Math.max(b.x2 - b.x1, b.y2 - b.y1) / 2 + 64;
    const item = viewer.world.getItemAt(0);
    viewer.viewport.fitBounds(
      item.imageToViewportRectangle(b.x1 - m, b.y1 - m, b.x2 - b.x1 + 2 * m, b.y2 - b.y1 + 2 * m),
    );
  }
  state.goTo = goTo;

  async function show(i) {
    const s = state.slides[i];
    state.index = i;
    state.slide = s;
    state.patches = null;
    state.heat = null;
    state.ready = false;
    state.fullyLoaded = false;
    $('slide-picker').value = String(i);
    $('slide-name').textContent = s.file + (s.width ? ` (${s.width} x ${s.height} px)` : '');
    $('slide-error').hidden = true;
    $('f2').textContent = s.eval
      ? `F2 ${s.eval.fbeta.toFixed(3)} (tp ${s.eval.tp}, fp ${s.eval.fp}, fn ${s.eval.fn})`
      : '';
    const list = $('box-list');
    list.replaceChildren();
    const item = (b, cls, text) => {
      const li = document.createElement('li');
      li.className = cls;
      li.textContent = text;
      li.addEventListener('click', () => goTo(b));
      list.append(li);
    };
    for (const b of s.boxes) item(b, 'pred', `#${b.rank}  score ${b.score.toFixed(3)}  (${b.x1}, ${b.y1})`);
    s.truth.forEach((b, k) => item(b, 'truth', `truth ${k + 1}  (${b.x1}, ${b.y1})  ${b.x2 - b.x1} x ${b.y2 - b.y1}`));
    if (s.error) {
      viewer.close();
      draw();
      showError(`${s.file}: ${s.error}`);
      return;
    }
    if (s.patches) {
      const buf = await (await fetch(`/api/slides/${i}/patches.bin`)).arrayBuffer();
      if (state.index !== i) return;
      state.patches = decodePatches(buf, s.patches.n, s.patches.folds);
      state.heat = buildHeat(state.patches, s.width, s.height);
    }
    viewer.open(`/slides/${i}.dzi`);
  }

  (async () => {
    state.slides = await (await fetch('/api/slides')).json();
    const picker = $('slide-picker');
    state.slides.forEach((s, i) => {
      const o = document.createElement('option');
      o.value = String(i);
      o.textContent = `${s.id}${s.error ? ' (error)' : s.patches ? ' (scored)' : ''}`;
      picker.append(o);
    });
    $('picker-row').hidden = state.slides.length < 2;
    sizeCanvas();
    const first = state.slides.findIndex((s) => !s.error && s.patches);
    await show(first >= 0 ? first : 0);
  })().catch((e) => showError(String(e)));
})();
