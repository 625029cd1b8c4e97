//===- torch_cases.cpp - libtorch eager implementations -------------------===//
//
// What a libtorch user writes: leaf tensors with requires_grad for what the
// gradients are taken with respect to, the loss from torch's functional API
// (mse_loss, l1_loss, cross_entropy; the hinge spelled relu(1 - y t).mean()),
// and torch::autograd::grad, which returns fresh gradient tensors rather
// than accumulating into .grad(). The inputs are copied into torch-owned
// tensors once, outside the timed calls.
//
// The training loop is the tutorial's: two torch::nn::Linear modules,
// torch::optim::Adam, and per batch zero_grad, forward, cross_entropy,
// backward, step. Batches are views of the caller's arrays (from_blob); the
// i32 labels become the int64 cross_entropy wants, per batch.
//
//===----------------------------------------------------------------------===//
#include "bench/torch_cases.h"

#include <torch/torch.h>

#include <cstring>
#include <memory>

namespace netjit::bench {
namespace {

torch::Tensor copyOf(const float *Data, std::vector<int64_t> Shape,
                     bool RequiresGrad) {
  torch::Tensor T =
      torch::from_blob(const_cast<float *>(Data), Shape, torch::kFloat32)
          .clone();
  return RequiresGrad ? T.requires_grad_(true) : T;
}

torch::Tensor labelsOf(const int64_t *Data, int64_t N) {
  return torch::from_blob(const_cast<int64_t *>(Data), {N}, torch::kInt64)
      .clone();
}

void copyOut(const torch::Tensor &T, float *Out) {
  torch::Tensor C = T.detach().contiguous();
  std::memcpy(Out, C.data_ptr<float>(), C.numel() * sizeof(float));
}

struct LossState {
  LossProblem P;
  torch::Tensor Y, T, Labels, Loss, Grad;
};

struct TwoLayerState {
  TwoLayerProblem P;
  torch::Tensor X, Y, Labels, W1, B1, W2, B2, Loss;
  std::vector<torch::Tensor> Grads;
};

struct TrainState {
  int64_t In = 0;
  torch::nn::Linear Fc1{nullptr}, Fc2{nullptr};
  std::unique_ptr<torch::optim::Adam> Opt;

  torch::Tensor forward(const float *X, int64_t Rows) {
    torch::Tensor Xt =
        torch::from_blob(const_cast<float *>(X), {Rows, In}, torch::kFloat32);
    return Fc2(torch::relu(Fc1(Xt)));
  }
  torch::Tensor labels(const int32_t *L, int64_t Rows) {
    return torch::from_blob(const_cast<int32_t *>(L), {Rows}, torch::kInt32)
        .to(torch::kInt64);
  }
};

} // namespace

std::string torchInit() {
  torch::set_num_threads(1);
  return "libtorch " TORCH_VERSION;
}

TorchImpl torchLoss(const LossProblem &P, float *Loss, float *Grad) {
  auto S = std::make_shared<LossState>();
  S->P = P;
  if (P.Kind == "xent") {
    S->Y = copyOf(P.Y, {P.Rows, P.Cols}, true);
    S->Labels = labelsOf(P.Labels, P.Rows);
  } else {
    S->Y = copyOf(P.Y, {P.elements()}, true);
    S->T = copyOf(P.T, {P.elements()}, false);
  }
  TorchImpl I;
  I.Run = [S] {
    torch::Tensor L;
    if (S->P.Kind == "mse")
      L = torch::mse_loss(S->Y, S->T);
    else if (S->P.Kind == "mae")
      L = torch::l1_loss(S->Y, S->T);
    else if (S->P.Kind == "hinge")
      L = torch::relu(1 - S->Y * S->T).mean();
    else
      L = torch::nn::functional::cross_entropy(S->Y, S->Labels);
    S->Grad = torch::autograd::grad({L}, {S->Y})[0];
    S->Loss = L;
  };
  I.Fetch = [S, Loss, Grad] {
    *Loss = S->Loss.item<float>();
    copyOut(S->Grad, Grad);
  };
  return I;
}

TorchImpl torchTwoLayer(const TwoLayerProblem &P, const TwoLayerGrads &G) {
  auto S = std::make_shared<TwoLayerState>();
  S->P = P;
  S->X = copyOf(P.X, {P.Batch, P.In}, false);
  if (P.Xent)
    S->Labels = labelsOf(P.Labels, P.Batch);
  else
    S->Y = copyOf(P.Y, {P.Batch, P.Out}, false);
  S->W1 = copyOf(P.W1, {P.In, P.Hidden}, true);
  S->B1 = copyOf(P.B1, {P.Hidden}, true);
  S->W2 = copyOf(P.W2, {P.Hidden, P.Out}, true);
  S->B2 = copyOf(P.B2, {P.Out}, true);
  TorchImpl I;
  I.Run = [S] {
    torch::Tensor H = torch::addmm(S->B1, S->X, S->W1);
    H = S->P.Tanh ? torch::tanh(H) : torch::relu(H);
    torch::Tensor Z = torch::addmm(S->B2, H, S->W2);
    torch::Tensor L = S->P.Xent
                          ? torch::nn::functional::cross_entropy(Z, S->Labels)
                          : torch::mse_loss(Z, S->Y);
    S->Grads = torch::autograd::grad({L}, {S->W1, S->B1, S->W2, S->B2});
    S->Loss = L;
  };
  I.Fetch = [S, G] {
    *G.Loss = S->Loss.item<float>();
    copyOut(S->Grads[0], G.DW1);
    copyOut(S->Grads[1], G.DB1);
    copyOut(S->Grads[2], G.DW2);
    copyOut(S->Grads[3], G.DB2);
  };
  return I;
}

TrainLoop torchTrainLoop(const TrainProblem &P) {
  auto S = std::make_shared<TrainState>();
  S->In = P.In;
  S->Fc1 = torch::nn::Linear(P.In, P.Hidden);
  S->Fc2 = torch::nn::Linear(P.Hidden, P.Out);
  {
    // torch's Linear keeps the weight as [out, in].
    torch::NoGradGuard NoGrad;
    S->Fc1->weight.copy_(copyOf(P.W1, {P.In, P.Hidden}, false).t());
    S->Fc1->bias.copy_(copyOf(P.B1, {P.Hidden}, false));
    S->Fc2->weight.copy_(copyOf(P.W2, {P.Hidden, P.Out}, false).t());
    S->Fc2->bias.copy_(copyOf(P.B2, {P.Out}, false));
  }
  std::vector<torch::Tensor> Params = S->Fc1->parameters();
  for (const torch::Tensor &T : S->Fc2->parameters())
    Params.push_back(T);
  S->Opt = std::make_unique<torch::optim::Adam>(
      Params, torch::optim::AdamOptions(P.LearningRate)
                  .betas(std::make_tuple(P.Beta1, P.Beta2))
                  .eps(P.Epsilon));
  TrainLoop L;
  L.Epoch = [S](const float *X, const int32_t *Labels,
                const BatchList &Batches) {
    double Sum = 0;
    for (auto [Begin, End] : Batches) {
      S->Opt->zero_grad();
      torch::Tensor Loss = torch::nn::functional::cross_entropy(
          S->forward(X + Begin * S->In, End - Begin),
          S->labels(Labels + Begin, End - Begin));
      Loss.backward();
      S->Opt->step();
      Sum += Loss.item<double>();
    }
    return Sum / static_cast<double>(Batches.size());
  };
  L.Accuracy = [S](const float *X, const int32_t *Labels, int64_t Rows) {
    torch::NoGradGuard NoGrad;
    torch::Tensor Predicted = S->forward(X, Rows).argmax(1);
    return Predicted.eq(S->labels(Labels, Rows))
        .to(torch::kFloat64)
        .mean()
        .item<double>();
  };
  return L;
}

} // namespace netjit::bench
