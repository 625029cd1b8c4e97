//===- eigen_models.cpp - Hand-written Eigen baselines for the models -----===//
//
// Forward and backward of the two-layer network as one would write them in
// Eigen: the products are `noalias()` GEMMs into temporaries allocated once,
// the softmax cross-entropy works row by row on the few logits of a row, and
// the activations' derivatives come from the saved activations (relu: h > 0,
// tanh: 1 - h^2). Eigen's GEMM allocates its own packing buffers per product,
// as it does in users' code.
//
// The training loop does the same forward and backward per batch, then adam
// as Eigen array expressions over chunks of each parameter, so that the
// moments and the parameter are updated while the chunk is in L1. (A plain
// loop with std::sqrt is not vectorized without -fno-math-errno, and then
// costs more than the products.)
//
//===----------------------------------------------------------------------===//
#include "bench/eigen_models.h"

#include <Eigen/Core>

#include <algorithm>
#include <cmath>
#include <memory>
#include <vector>

namespace netjit::bench {
namespace {

using RowMatrix =
    Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using RowVector = Eigen::Matrix<float, 1, Eigen::Dynamic>;

struct TwoLayerState {
  TwoLayerProblem P;
  TwoLayerGrads G;
  RowMatrix H, Z, DZ, DH;

  TwoLayerState(const TwoLayerProblem &Problem, const TwoLayerGrads &Grads)
      : P(Problem), G(Grads), H(P.Batch, P.Hidden), Z(P.Batch, P.Out),
        DZ(P.Batch, P.Out), DH(P.Batch, P.Hidden) {}

  void run() {
    Eigen::Map<const RowMatrix> X(P.X, P.Batch, P.In);
    Eigen::Map<const RowMatrix> W1(P.W1, P.In, P.Hidden);
    Eigen::Map<const RowMatrix> W2(P.W2, P.Hidden, P.Out);
    Eigen::Map<const RowVector> B1(P.B1, P.Hidden), B2(P.B2, P.Out);
    Eigen::Map<RowMatrix> DW1(G.DW1, P.In, P.Hidden);
    Eigen::Map<RowMatrix> DW2(G.DW2, P.Hidden, P.Out);
    Eigen::Map<RowVector> DB1(G.DB1, P.Hidden), DB2(G.DB2, P.Out);

    H.noalias() = X * W1;
    H.rowwise() += B1;
    if (P.Tanh)
      H = H.array().tanh();
    else
      H = H.cwiseMax(0.0f);
    Z.noalias() = H * W2;
    Z.rowwise() += B2;

    float Loss = 0;
    float InvB = 1.0f / static_cast<float>(P.Batch);
    if (P.Xent) {
      for (int64_t R = 0; R < P.Batch; ++R) {
        float Max = Z.row(R).maxCoeff();
        DZ.row(R) = (Z.row(R).array() - Max).exp().matrix();
        float Sum = DZ.row(R).sum();
        DZ.row(R) *= InvB / Sum;
        int64_t L = P.Labels[R];
        DZ(R, L) -= InvB;
        Loss += std::log(Sum) + Max - Z(R, L);
      }
      Loss *= InvB;
    } else {
      Eigen::Map<const RowMatrix> Y(P.Y, P.Batch, P.Out);
      float Count = static_cast<float>(P.Batch * P.Out);
      DZ = Z - Y;
      Loss = DZ.squaredNorm() / Count;
      DZ *= 2.0f / Count;
    }
    *G.Loss = Loss;

    DW2.noalias() = H.transpose() * DZ;
    DB2 = DZ.colwise().sum();
    DH.noalias() = DZ * W2.transpose();
    if (P.Tanh)
      DH.array() *= 1.0f - H.array().square();
    else
      DH = (H.array() > 0.0f).select(DH, 0.0f);
    DW1.noalias() = X.transpose() * DH;
    DB1 = DH.colwise().sum();
  }
};

/// Elements adam updates per pass: the three statements of a chunk find
/// its data in L1.
constexpr int64_t kAdamChunk = 2048;

/// A parameter with its gradient and adam's two moments.
struct AdamParam {
  std::vector<float> Value, Grad, M, V;
  AdamParam(const float *Init, int64_t N)
      : Value(Init, Init + N), Grad(N), M(N), V(N) {}
  void update(float B1, float B2, float Lr1, float InvC2, float Eps) {
    using Array = Eigen::Array<float, Eigen::Dynamic, 1>;
    int64_t Size = static_cast<int64_t>(Value.size());
    for (int64_t Begin = 0; Begin < Size; Begin += kAdamChunk) {
      int64_t N = std::min(kAdamChunk, Size - Begin);
      Eigen::Map<Array> Param(Value.data() + Begin, N),
          Mean(M.data() + Begin, N), Sq(V.data() + Begin, N);
      Eigen::Map<const Array> G(Grad.data() + Begin, N);
      Mean = B1 * Mean + (1 - B1) * G;
      Sq = B2 * Sq + (1 - B2) * G.square();
      Param -= Lr1 * Mean / ((Sq * InvC2).sqrt() + Eps);
    }
  }
};

struct TrainState {
  TrainProblem P;
  AdamParam W1, B1, W2, B2;
  RowMatrix H, Z, DZ, DH;
  int64_t Steps = 0;

  explicit TrainState(const TrainProblem &Problem)
      : P(Problem), W1(P.W1, P.In * P.Hidden), B1(P.B1, P.Hidden),
        W2(P.W2, P.Hidden * P.Out), B2(P.B2, P.Out) {}

  /// Z = the logits of Rows rows of X (H keeps the hidden layer).
  void forward(const float *X, int64_t Rows) {
    Eigen::Map<const RowMatrix> Xm(X, Rows, P.In);
    Eigen::Map<const RowMatrix> W1m(W1.Value.data(), P.In, P.Hidden);
    Eigen::Map<const RowMatrix> W2m(W2.Value.data(), P.Hidden, P.Out);
    H.resize(Rows, P.Hidden);
    Z.resize(Rows, P.Out);
    H.noalias() = Xm * W1m;
    H.rowwise() += Eigen::Map<const RowVector>(B1.Value.data(), P.Hidden);
    H = H.cwiseMax(0.0f);
    Z.noalias() = H * W2m;
    Z.rowwise() += Eigen::Map<const RowVector>(B2.Value.data(), P.Out);
  }

  /// One adam step on a batch; returns its mean cross-entropy.
  float step(const float *X, const int32_t *Labels, int64_t Rows) {
    forward(X, Rows);
    DZ.resize(Rows, P.Out);
    DH.resize(Rows, P.Hidden);
    float Loss = 0, InvB = 1.0f / static_cast<float>(Rows);
    for (int64_t R = 0; R < Rows; ++R) {
      float Max = Z.row(R).maxCoeff();
      DZ.row(R) = (Z.row(R).array() - Max).exp().matrix();
      float Sum = DZ.row(R).sum();
      DZ.row(R) *= InvB / Sum;
      int32_t L = Labels[R];
      DZ(R, L) -= InvB;
      Loss += std::log(Sum) + Max - Z(R, L);
    }
    Eigen::Map<const RowMatrix> Xm(X, Rows, P.In);
    Eigen::Map<const RowMatrix> W2m(W2.Value.data(), P.Hidden, P.Out);
    Eigen::Map<RowMatrix>(W2.Grad.data(), P.Hidden, P.Out).noalias() =
        H.transpose() * DZ;
    Eigen::Map<RowVector>(B2.Grad.data(), P.Out) = DZ.colwise().sum();
    DH.noalias() = DZ * W2m.transpose();
    DH = (H.array() > 0.0f).select(DH, 0.0f);
    Eigen::Map<RowMatrix>(W1.Grad.data(), P.In, P.Hidden).noalias() =
        Xm.transpose() * DH;
    Eigen::Map<RowVector>(B1.Grad.data(), P.Hidden) = DH.colwise().sum();

    // The bias corrections in double, once per step, like libtorch's.
    ++Steps;
    double T = static_cast<double>(Steps);
    float Lr1 = static_cast<float>(P.LearningRate / (1 - std::pow(P.Beta1, T))),
          InvC2 = static_cast<float>(1 / (1 - std::pow(P.Beta2, T))),
          Beta1 = static_cast<float>(P.Beta1),
          Beta2 = static_cast<float>(P.Beta2),
          Eps = static_cast<float>(P.Epsilon);
    for (AdamParam *A : {&W1, &B1, &W2, &B2})
      A->update(Beta1, Beta2, Lr1, InvC2, Eps);
    return Loss * InvB;
  }

  double accuracy(const float *X, const int32_t *Labels, int64_t Rows) {
    int64_t Right = 0;
    for (int64_t Begin = 0; Begin < Rows; Begin += 1000) {
      int64_t N = std::min<int64_t>(1000, Rows - Begin);
      forward(X + Begin * P.In, N);
      for (int64_t R = 0; R < N; ++R) {
        Eigen::Index Best = 0;
        Z.row(R).maxCoeff(&Best);
        Right += Best == Labels[Begin + R];
      }
    }
    return static_cast<double>(Right) / static_cast<double>(Rows);
  }
};

struct GemmState {
  RowMatrix A, B, C;
  explicit GemmState(int64_t N)
      : A(RowMatrix::Random(N, N)), B(RowMatrix::Random(N, N)), C(N, N) {}
};

} // namespace

std::function<void()> eigenTwoLayer(const TwoLayerProblem &P,
                                    const TwoLayerGrads &G) {
  auto S = std::make_shared<TwoLayerState>(P, G);
  return [S] { S->run(); };
}

std::function<void()> eigenSquareGemm(int64_t N) {
  auto S = std::make_shared<GemmState>(N);
  return [S] { S->C.noalias() = S->A * S->B; };
}

TrainLoop eigenTrainLoop(const TrainProblem &P) {
  auto S = std::make_shared<TrainState>(P);
  TrainLoop L;
  L.Epoch = [S](const float *X, const int32_t *Labels,
                const BatchList &Batches) {
    double Sum = 0;
    for (auto [Begin, End] : Batches)
      Sum += S->step(X + Begin * S->P.In, Labels + Begin, End - Begin);
    return Sum / static_cast<double>(Batches.size());
  };
  L.Accuracy = [S](const float *X, const int32_t *Labels, int64_t Rows) {
    return S->accuracy(X, Labels, Rows);
  };
  return L;
}

void eigenSetThreads(int N) { Eigen::setNbThreads(N); }

} // namespace netjit::bench
