/**
 * Training losses on logits: cross-entropy with label smoothing (PyTorch's definition: the
 * target is (1 − ε)·one-hot + ε/K), and knowledge distillation KL(teacher_T ‖ student_T)·T²
 * (Hinton et al.), blended as α·KD + (1 − α)·CE. Every loss is the mean over the batch.
 */
import { tf } from '../engine/tf.js';

/** Mean cross-entropy of `logits` [N, K] against integer `labels` [N] with label smoothing ε. */
export function crossEntropy(logits: tf.Tensor2D, labels: tf.Tensor1D, smoothing = 0): tf.Scalar {
  return tf.tidy(() => {
    const k = logits.shape[1];
    const logp = tf.logSoftmax(logits);
    const onehot = tf.oneHot(tf.cast(labels, 'int32'), k);
    const target = smoothing > 0 ? tf.add(tf.mul(onehot, 1 - smoothing), smoothing / k) : onehot;
    return tf.neg(tf.mean(tf.sum(tf.mul(target, logp), 1))) as tf.Scalar;
  });
}

/**
 * KL(softmax(teacher/T) ‖ softmax(student/T)) · T², averaged over the batch. The teacher's logits
 * are computed outside the gradient tape (tfjs has no stop-gradient), so only the student learns.
 */
export function distillationLoss(student: tf.Tensor2D, teacher: tf.Tensor2D, temperature: number): tf.Scalar {
  return tf.tidy(() => {
    const logq = tf.logSoftmax(tf.div(student, temperature));
    const logp = tf.logSoftmax(tf.div(teacher, temperature));
    const kl = tf.sum(tf.mul(tf.exp(logp), tf.sub(logp, logq)), 1);
    return tf.mul(tf.mean(kl), temperature * temperature);
  });
}

export interface LossOptions {
  labelSmoothing: number;
  /** Teacher logits [N, K] when distilling. */
  teacher?: tf.Tensor2D;
  temperature: number;
  /** Weight of the distillation term (ignored without a teacher). */
  alpha: number;
}

/** The training loss: CE alone, or α·KD + (1 − α)·CE with a teacher. */
export function trainingLoss(logits: tf.Tensor2D, labels: tf.Tensor1D, o: LossOptions): tf.Scalar {
  return tf.tidy(() => {
    const ce = crossEntropy(logits, labels, o.labelSmoothing);
    if (!o.teacher || o.alpha <= 0) return ce;
    const kd = distillationLoss(logits, o.teacher, o.temperature);
    return tf.add(tf.mul(kd, o.alpha), tf.mul(ce, 1 - o.alpha));
  });
}
