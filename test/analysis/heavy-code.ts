/**
 * Plain JavaScript that costs the analyzer real CPU to profile (about 0.15 s per MB on an idle
 * core): many small functions with strings, calls and member accesses, `lines` of them.
 */
export function heavyCode(lines: number, seed = 0): string {
  let code = '';
  for (let i = 0; i < lines; i++)
    code += `function f${seed}_${i}(a, b) { var s = "str${i}" + a; if (b > ${i}) { return s.split('').map(function (c) { return c + b; }).join(''); } return obj["k${i}"](s, [1, 2, 3], { x: ${i} }); }\n`;
  return code;
}
