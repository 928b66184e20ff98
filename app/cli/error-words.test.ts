import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CalibrationMissingError, DeviceError, OutputExistsError, TrainingDivergedError, UserError } from '../model/errors.js';
import { checkInputShape } from '../data/input-shape.js';
import { cliMessage } from './error-words.js';
import { appMessage } from '../api/error-words.js';

function shapeError(sample: number[], model: number[], who?: string): UserError {
  try {
    checkInputShape(sample, model, who);
  } catch (e) {
    return e as UserError;
  }
  throw new Error('checkInputShape accepted different shapes');
}

test('each host words a core error with its own remedy, and the app never names a flag', () => {
  const cases: [UserError, RegExp, RegExp][] = [
    [new OutputExistsError('out.onnx'), /^Output out\.onnx already exists; pass --force to replace it\.$/, /^Output out\.onnx already exists; tick "replace existing files" to replace it\.$/],
    [new CalibrationMissingError('int8 export needs calibration images', 'export'), /^int8 export needs calibration images: pass --calib <dataset> \(or --data\)\.$/, /^int8 export needs calibration images; choose calibration data first\.$/],
    [new CalibrationMissingError('The taylor criterion needs a gradient pass over calibration data', 'prune'), /; pass --data\.$/, /; choose calibration data first\.$/],
    [shapeError([28, 28, 1], [32, 32, 1]), /takes 32×32×1; try --pad 2 \(zero pixels, before Normalize\)/, /takes 32×32×1; add Pad\(2\) to the preprocessing pipeline/],
    [shapeError([28, 28, 1], [24, 24, 3]), /try --resize 24 --center-crop 24 .*; --channels 3\.$/, /add Resize\(24\) and CenterCrop\(24\) .*; set the channels to 3\.$/],
    [shapeError([28, 28, 1], [32, 32, 1], 'b.onnx'), /^b\.onnx: Images are 28×28×1 after preprocessing but the model takes 32×32×1; try --pad 2 /, /^b\.onnx: Images are 28×28×1 .*; add Pad\(2\)/],
  ];
  cases.push(
    [new DeviceError('cuda', 'it picks its own backend', 'tfjs'), /^--device cuda needs the torch engine; the tfjs engine picks its own backend \(--backend\)\.$/, /^The device cuda needs the torch engine; choose the torch engine, or the device auto\.$/],
    [new DeviceError('cuda:1', 'only 1 CUDA device(s) exist'), /^--device cuda:1 was asked for but only 1 CUDA device\(s\) exist\.$/, /^The device cuda:1 was asked for but only 1 CUDA device\(s\) exist\.$/],
    [new TrainingDivergedError('NaN', 1, 3, 0.5, '0.1'), /^Training diverged \(the loss became NaN\) at epoch 1 step 3 with learning rate 0\.5; try a lower one, e\.g\. --lr 0\.1\.$/, /^Training diverged \(the loss became NaN\) at epoch 1 step 3 with learning rate 0\.5; set a lower learning rate, e\.g\. 0\.1\.$/],
  );
  for (const [e, cli, app] of cases) {
    assert.match(cliMessage(e), cli);
    assert.match(appMessage(e), app);
    assert.doesNotMatch(appMessage(e), /--[a-z]/, appMessage(e));
  }
  assert.doesNotThrow(() => checkInputShape([32, 32, 3], [32, 32, 3]));
  const plain = new UserError('A plain sentence.');
  assert.equal(cliMessage(plain), plain.message);
  assert.equal(appMessage(plain), plain.message);
});
