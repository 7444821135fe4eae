import type { RuleCase } from '../../build-artifacts.js';
import { npmBase, npmNext } from '../common.js';

const minified = (n: number) => `"use strict";var a=require("path"),b=function(c,d){return a.join(c,d)+${n}},e={x:1,y:[1,2,3]};module.exports={b:b,e:e};`;
const png = 'data:image/png;base64,' + Buffer.alloc(3000, 7).toString('base64');
export const cases: RuleCase[] = [
  { name: 'a rebuilt minified bundle', ecosystem: 'npm', previous: [npmBase({ 'dist/index.min.js': minified(1) })], candidate: [npmNext({ 'dist/index.min.js': minified(2) })] },
  { name: 'an inlined data URI image', ecosystem: 'npm', previous: [npmBase()], candidate: [npmNext({ 'icon.js': `module.exports = '${png}';\n` })] },
];
